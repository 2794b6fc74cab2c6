/**
 * The Postgres adapter of the store port. Every money movement is enforced by SQL (conditional
 * UPDATE … RETURNING, INSERT … ON CONFLICT DO NOTHING, unique keys), never read-then-write, so any
 * number of gate402 replicas can share one database.
 */
import type pg from "pg";
import type {
  DebitInput,
  DebitOutcome,
  DepositInput,
  DepositOutcome,
  NewAccount,
  PrepaidAccount,
  RedeemInput,
  RedeemOutcome,
  RedemptionRecord,
  StoreCallOptions,
  StorePort,
} from "../ports/store.js";
import type { PaymentIndexPort } from "../ports/payments.js";
import * as accounts from "./accounts.js";
import { creditDeposit } from "./deposits.js";
import { Admission } from "./admission.js";
import { DebitBatcher } from "./debit-batcher.js";
import { applyMovement, storedAsset, type StoredAsset } from "./ledger.js";
import { createPool, poolStatsOf, query, within, type PoolOptions, type PoolStats } from "./pool.js";
import { pgPaymentIndex } from "./payments.js";
import { findRedemption, redeem } from "./redeem.js";
import { SpentInvoices } from "./spent-invoices.js";

/** How the store bounds and batches the decision path's work; every field has a default. */
export interface MoneyPathOptions {
  /** ms a call gets when its caller passes no deadline (default 2000) */
  readonly defaultDeadlineMs?: number;
  /** ms between a money write's guard deadline (checked in Postgres) and its answer deadline (default 150) */
  readonly guardMarginMs?: number;
  /** ms a money write's connection still waits for its outcome after the caller was answered 503 (default 2000) */
  readonly lateOutcomeMs?: number;
  /** decision-path operations in flight per replica before new ones are refused with 503 (default 1000) */
  readonly queueMax?: number;
  /** ms the first debit of a batch waits for others (default 1) */
  readonly batchWindowMs?: number;
  /** most debits per batch statement (default 256) */
  readonly batchMax?: number;
  /** most batch statements at once (default: half the pool, at least 1) */
  readonly batchesInFlight?: number;
  /** used-up invoice ids remembered in process (default 50,000; 0 = off) */
  readonly spentCacheSize?: number;
  /**
   * prepaid usage as `usage` rollup ledger entries + per-call usage_events rows (default true); false:
   * one `debit` ledger entry per call
   */
  readonly ledgerRollups?: boolean;
  /** ms a rollup period lasts per account (default 60,000; 0: one rollup per account per batch) */
  readonly ledgerRollupMs?: number;
  readonly logger?: PoolOptions["logger"];
}

export type PgStoreOptions = PoolOptions & MoneyPathOptions;

/** Default length of a usage rollup period in ms (GATEWAY_LEDGER_ROLLUP_MS). */
export const DEFAULT_ROLLUP_MS = 60_000;

/**
 * The rollup period the store records usage with: null when rollups are off (per-call `debit` entries).
 * @throws RangeError when ledgerRollupMs is negative or not an integer
 */
export function rollupPeriodOf(opts: Pick<MoneyPathOptions, "ledgerRollups" | "ledgerRollupMs">): number | null {
  if (opts.ledgerRollups === false) return null;
  const ms = opts.ledgerRollupMs ?? DEFAULT_ROLLUP_MS;
  if (!Number.isInteger(ms) || ms < 0) throw new RangeError(`ledgerRollupMs must be an integer ≥ 0, got ${ms}`);
  return ms;
}

export class PgStore implements StorePort {
  private closing: Promise<void> | undefined;
  /** payments recorded by the watcher (migration 0003) */
  readonly payments: PaymentIndexPort;

  private readonly admission: Admission;
  private readonly batcher: DebitBatcher;
  private readonly spent: SpentInvoices;
  private readonly defaultDeadlineMs: number;
  private readonly guardMarginMs: number;
  private readonly lateOutcomeMs: number;

  /** @param pool owned by the store from now on: close() ends it */
  constructor(
    readonly pool: pg.Pool,
    private readonly opts: MoneyPathOptions = {},
  ) {
    this.payments = pgPaymentIndex(pool);
    this.defaultDeadlineMs = opts.defaultDeadlineMs ?? 2000;
    this.guardMarginMs = opts.guardMarginMs ?? 150;
    this.lateOutcomeMs = opts.lateOutcomeMs ?? 2000;
    this.admission = new Admission(opts.queueMax ?? 1000);
    this.spent = new SpentInvoices(opts.spentCacheSize ?? 50_000);
    this.batcher = new DebitBatcher(pool, {
      windowMs: opts.batchWindowMs ?? 1,
      maxBatch: opts.batchMax ?? 256,
      maxInFlight: opts.batchesInFlight ?? Math.max(1, Math.floor(pool.options.max / 2)),
      guardMarginMs: this.guardMarginMs,
      lateOutcomeMs: this.lateOutcomeMs,
      onOrphan: (input, entryId, paid) => void this.refundOrphan(input, entryId, paid?.amountMicro ?? input.amountMicro, storedAsset(paid)),
      onLost: (inputs, sentAt) => void this.reconcileLost(inputs, sentAt),
      rollupPeriodMs: rollupPeriodOf(opts),
    });
  }

  private deadlineOf(opts: StoreCallOptions | undefined): number {
    return opts?.deadlineAt ?? Date.now() + this.defaultDeadlineMs;
  }

  /**
   * Redeems through this invoice's lane: copies of one proof reach Postgres one at a time, and once
   * the invoice is used up the copies behind are answered from memory (no write, no connection).
   * A use redeemed after its caller was already answered 503 (the commit came back late) is owed to
   * the next copy of the same proof in this replica, which is allowed without a new write.
   */
  redeem(input: RedeemInput, opts?: StoreCallOptions): Promise<RedeemOutcome> {
    const deadlineAt = this.deadlineOf(opts);
    if (!this.spent.isOwed(input.invoiceId)) {
      const known = this.fromSpent(input);
      if (known) return Promise.resolve(known);
    }
    return this.admission.run("redeem", () => {
      const work = this.spent.inLane(input.invoiceId, async () => {
        const owed = this.spent.takeOwed(input.invoiceId, input.txHash);
        if (owed) return owed;
        const cached = this.fromSpent(input);
        if (cached) return cached;
        const budget = deadlineAt - Date.now();
        const guardAt = deadlineAt - Math.min(this.guardMarginMs, Math.floor(budget / 4));
        const outcome = await redeem(this.pool, input, deadlineAt + this.lateOutcomeMs, guardAt);
        if (outcome.kind === "applied" ? outcome.usesLeft === 0 : outcome.kind === "used_up") {
          this.spent.markUsedUp(input.invoiceId, input.txHash);
        }
        return outcome;
      });
      return within(work, deadlineAt, "redeem").catch((err: unknown) => {
        void work.then(
          (late) => {
            if (late.kind !== "applied") return;
            this.spent.owe(input.invoiceId, input.txHash);
            this.opts.logger?.warn(
              { invoiceId: input.invoiceId, txHash: input.txHash },
              "redemption committed after its deadline is owed to the next copy of the proof",
            );
          },
          () => undefined,
        );
        throw err;
      });
    });
  }

  private fromSpent(input: RedeemInput): RedeemOutcome | undefined {
    const by = this.spent.usedUpBy(input.invoiceId);
    if (by === undefined) return undefined;
    return by === input.txHash ? { kind: "used_up" } : { kind: "tx_mismatch" };
  }

  /** Concurrent reads of one invoice id share one query. */
  findRedemption(invoiceId: string, opts?: StoreCallOptions): Promise<RedemptionRecord | null> {
    const deadlineAt = this.deadlineOf(opts);
    return this.admission.run("findRedemption", () =>
      within(
        this.spent.shared(invoiceId, async () => {
          return findRedemption(this.pool, invoiceId, deadlineAt);
        }),
        deadlineAt,
        "findRedemption",
      ),
    );
  }

  /** @throws AccountExistsError when the client id or deposit memo is taken */
  createAccount(account: NewAccount): Promise<PrepaidAccount> {
    return accounts.createAccount(this.pool, account);
  }

  getAccount(clientId: string, opts?: StoreCallOptions): Promise<PrepaidAccount | null> {
    return this.admission.run("getAccount", () => within(accounts.getAccount(this.pool, clientId), this.deadlineOf(opts), "getAccount"));
  }

  findAccountByDepositMemo(memo: string): Promise<PrepaidAccount | null> {
    return accounts.findAccountByDepositMemo(this.pool, memo);
  }

  checkKey(clientId: string, keyHash: string): Promise<boolean> {
    return accounts.checkKey(this.pool, clientId, keyHash);
  }

  /**
   * Debits through the group-commit batcher (debit-batcher.ts): applied with the debits arriving
   * together in one statement and one commit, in arrival order per account.
   * @throws RangeError when amountMicro ≤ 0; StoreUnavailableError (outage, deadline, or the
   *   GATEWAY_DB_QUEUE_MAX bound reached — then at once)
   */
  async debit(input: DebitInput, opts?: StoreCallOptions): Promise<DebitOutcome> {
    for (const p of [input, ...(input.prices ?? [])]) {
      if (p.amountMicro <= 0n) throw new RangeError(`debit amountMicro must be > 0, got ${p.amountMicro}`);
    }
    const deadlineAt = this.deadlineOf(opts);
    return this.admission.run("debit", () => this.batcher.submit(input, deadlineAt));
  }

  /**
   * A debit committed after its caller was already answered 503 (the commit finished within the guard
   * margin, the answer arrived after the deadline): the request was not allowed, so the money goes back
   * as a refund entry referencing the same decision id.
   */
  private async refundOrphan(input: DebitInput, entryId: string, amountMicro: bigint, asset: StoredAsset): Promise<void> {
    const log = this.opts.logger;
    try {
      await applyMovement(this.pool, {
        clientId: input.clientId,
        kind: "refund",
        amountMicro,
        ref: input.ref,
        routeId: input.routeId,
        method: input.method,
        txHash: null,
        asset,
      });
      log?.warn({ clientId: input.clientId, ref: input.ref, entryId }, "debit committed after its deadline was refunded");
    } catch (err) {
      log?.error({ err, clientId: input.clientId, ref: input.ref, entryId }, "debit committed after its deadline could not be refunded");
    }
  }

  /**
   * A batch whose outcome never came back: none of its debits was allowed. Once its statement can no
   * longer commit (the guard deadlines have passed), looks up which of its debits did commit anyway and
   * refunds them; retried while the database is unreachable (every 5 s, for 10 minutes).
   */
  private async reconcileLost(inputs: readonly DebitInput[], sentAt: Date): Promise<void> {
    const log = this.opts.logger;
    for (let attempt = 0; attempt < 120 && !this.closing; attempt++) {
      await new Promise((r) => setTimeout(r, attempt === 0 ? this.lateOutcomeMs : 5000).unref());
      try {
        // A call in a usage period is found by its detail row (its period may still be open: no entry yet).
        // What was taken and in which asset (migration 0012), so the refund gives back exactly that.
        type Found = { client_id: string; ref: string; id: string; amount: string; network: string | null; denom: string | null };
        const found = await query<Found>(
          this.pool,
          "debit",
          `SELECT client_id, ref, id::text AS id, (-amount_micro)::text AS amount, network, denom FROM ledger_entries
            WHERE kind = 'debit' AND created_at >= $3::timestamptz
              AND (client_id, ref) IN (SELECT * FROM unnest($1::text[], $2::text[]))
           UNION ALL
           SELECT u.client_id, u.decision_id, 'usage seq ' || u.ledger_seq, u.amount_micro::text, u.network, u.denom
             FROM usage_events u
            WHERE u.created_at >= $3::timestamptz
              AND (u.client_id, u.decision_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))`,
          [inputs.map((d) => d.clientId), inputs.map((d) => d.ref), new Date(sentAt.getTime() - 1000).toISOString()],
        );
        for (const row of found.rows) {
          const input = inputs.find((d) => d.clientId === row.client_id && d.ref === row.ref);
          const asset = row.denom === null ? null : { network: row.network!, denom: row.denom };
          if (input) await this.refundOrphan(input, row.id, BigInt(row.amount), asset);
        }
        return;
      } catch (err) {
        if (attempt === 0)
          log?.warn({ err, debits: inputs.length }, "debit batch without an outcome: checking the ledger once the database answers");
      }
    }
    log?.error({ refs: inputs.map((d) => d.ref) }, "debit batch without an outcome could not be checked against the ledger");
  }

  creditDeposit(input: DepositInput): Promise<DepositOutcome> {
    return creditDeposit(this.pool, input);
  }

  async ping(): Promise<void> {
    await query(this.pool, "ping", "SELECT 1");
  }

  /** Ends the pool; idempotent. */
  close(): Promise<void> {
    this.closing ??= this.pool.end();
    return this.closing;
  }

  /** Pool gauges for the metrics layer. */
  poolStats(): PoolStats {
    return poolStatsOf(this.pool);
  }
}

/** Builds a PgStore on a new pool; connects lazily (call ping() to check the database now). */
export function createPgStore(options: PgStoreOptions): PgStore {
  return new PgStore(createPool(options), options);
}

/** Pool gauges `{ total, idle, waiting }` of a store or a pool, for the metrics layer. */
export function poolStats(source: PgStore | pg.Pool): PoolStats {
  return source instanceof PgStore ? source.poolStats() : poolStatsOf(source);
}
