/**
 * Group commit for prepaid debits. Debits that arrive together are applied together: the first one
 * of a batch waits at most `windowMs` for others (up to `maxBatch`), then the whole batch is one call
 * of ledger_debit_batch_assets (migrations 0007, 0011, 0012) — one statement, one transaction, one commit (one WAL flush)
 * for all of them. While `maxInFlight` batches are running, new debits queue and go out together as
 * soon as one finishes, so batches grow with load and a hot account's row lock is held for one
 * commit per batch instead of one per debit.
 *
 * Every debit carries its deadline twice: the caller is answered (StoreUnavailableError) at its
 * deadline whatever the batch does, and the statement gets a guard deadline `guardMarginMs` earlier
 * that it checks itself — per debit before applying it, and for everything applied once more just
 * before its commit — so a batch reaching Postgres late writes nothing.
 */
import type pg from "pg";
import { StoreUnavailableError } from "../ports/errors.js";
import type { DebitInput, DebitOutcome, DebitPrice } from "../ports/store.js";
import { answeredByServer, atDeadline, queryWithin } from "./pool.js";

export interface DebitBatcherOptions {
  /** ms the first debit of a batch waits for more (0: the next timer tick) */
  readonly windowMs: number;
  /** most debits in one statement */
  readonly maxBatch: number;
  /** most batch statements running at once (each holds one pooled connection) */
  readonly maxInFlight: number;
  /** ms between a debit's guard deadline (checked inside Postgres) and its answer deadline */
  readonly guardMarginMs: number;
  /**
   * ms a batch's connection keeps waiting for the outcome after the last caller's deadline, so a
   * commit whose answer comes back late (a lagging event loop, a slow link) is still learned of and
   * compensated (onOrphan) instead of lost with a discarded connection.
   */
  readonly lateOutcomeMs: number;
  /**
   * Called when a batch committed a debit whose caller had already been answered 503 (its commit
   * finished inside the guard margin but the answer came back after the deadline). The store refunds it.
   */
  readonly onOrphan?: (input: DebitInput, entryId: string, paid: DebitPrice | undefined) => void;
  /**
   * Called when a batch failed without an outcome (its answer never came back, or the connection
   * broke after sending it): none of its debits was allowed, but some may have committed before
   * their guard deadline. The store looks them up and refunds what it finds.
   */
  readonly onLost?: (inputs: readonly DebitInput[], sentAt: Date) => void;
  /**
   * How applied debits are recorded in the ledger (ledger_debit_batch_assets, migrations 0011, 0012):
   * null: one `debit` entry per call; 0: per account one `usage` rollup entry per batch; > 0: per
   * account one `usage` entry per period of this many ms (calls accumulate on the account row, detail
   * per call in usage_events). Default null.
   */
  readonly rollupPeriodMs?: number | null;
}

interface Pending {
  readonly input: DebitInput;
  readonly deadlineAt: number;
  readonly guardAt: number;
  settled: boolean;
  cancelTimer: () => void;
  resolve(outcome: DebitOutcome): void;
  reject(err: unknown): void;
}

interface BatchRow {
  idx: number;
  outcome: "applied" | "insufficient" | "bad_credentials" | "suspended" | "expired";
  balance_micro: string | null;
  entry_id: string | null;
  /** 1-based position of the price taken among the debit's prices (applied only) */
  opt: number | null;
  /** the account's primary balance after the debit (applied, insufficient) */
  primary_micro: string | null;
}

// $7: the rollup period in ms, NULL for per-call debit entries. $8..$12: every debit's prices, flattened
// (debit i's are positions $8[i]..$9[i]); network/denom NULL is the primary asset.
const BATCH_SQL = `SELECT idx, outcome, balance_micro::text AS balance_micro, entry_id::text AS entry_id, opt,
         primary_micro::text AS primary_micro
  FROM ledger_debit_batch_assets($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::bigint,
                                 $8::integer[], $9::integer[], $10::text[], $11::text[], $12::bigint[])`;

/** The prices a debit may take, in order (absent: the primary asset at amountMicro). */
export function debitPrices(input: DebitInput): readonly DebitPrice[] | undefined {
  return input.prices && input.prices.length > 0 ? input.prices : undefined;
}

/** The flattened price arrays of a batch (BATCH_SQL $8..$12). */
function priceColumns(inputs: readonly DebitInput[]): unknown[] {
  const from: number[] = [];
  const to: number[] = [];
  const networks: (string | null)[] = [];
  const denoms: (string | null)[] = [];
  const amounts: string[] = [];
  for (const input of inputs) {
    from.push(amounts.length + 1);
    for (const p of debitPrices(input) ?? [{ network: "", denom: "", primary: true, amountMicro: input.amountMicro }]) {
      networks.push(p.primary ? null : p.network);
      denoms.push(p.primary ? null : p.denom);
      amounts.push(p.amountMicro.toString());
    }
    to.push(amounts.length);
  }
  return [from, to, networks, denoms, amounts];
}

function expired(): StoreUnavailableError {
  return new StoreUnavailableError("store debit: deadline passed before the debit was applied");
}

export class DebitBatcher {
  private queue: Pending[] = [];
  private running = 0;
  private windowTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly pool: pg.Pool,
    private readonly opts: DebitBatcherOptions,
  ) {}

  /** Debits waiting for a batch. */
  get backlog(): number {
    return this.queue.length;
  }

  /**
   * Queues one debit for the next batch.
   * @param deadlineAt unix ms: answered by then, StoreUnavailableError when not applied in time
   */
  submit(input: DebitInput, deadlineAt: number): Promise<DebitOutcome> {
    const budget = deadlineAt - Date.now();
    if (budget <= 0) return Promise.reject(expired());
    const guardAt = deadlineAt - Math.min(this.opts.guardMarginMs, Math.floor(budget / 4));
    return new Promise<DebitOutcome>((resolve, reject) => {
      const p: Pending = { input, deadlineAt, guardAt, settled: false, cancelTimer: () => undefined, resolve, reject };
      p.cancelTimer = atDeadline(deadlineAt, () => this.fail(p, expired()));
      this.queue.push(p);
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.running >= this.opts.maxInFlight) return; // the next finishing batch takes the queue
    if (this.queue.length >= this.opts.maxBatch) {
      this.flush();
      return;
    }
    this.windowTimer ??= setTimeout(() => this.flush(), this.opts.windowMs);
  }

  private flush(): void {
    clearTimeout(this.windowTimer);
    this.windowTimer = undefined;
    while (this.running < this.opts.maxInFlight && this.queue.length > 0) {
      // Debits whose callers were already answered (deadline) are not sent at all.
      const batch = this.queue.splice(0, this.opts.maxBatch).filter((p) => !p.settled);
      if (batch.length === 0) continue;
      this.running += 1;
      void this.run(batch).finally(() => {
        this.running -= 1;
        if (this.queue.length > 0) this.flush();
      });
      if (this.queue.length < this.opts.maxBatch) break; // the rest gets its own window
    }
    if (this.queue.length > 0 && this.running < this.opts.maxInFlight) this.schedule();
  }

  private async run(batch: readonly Pending[]): Promise<void> {
    const col = <T>(f: (p: Pending) => T): T[] => batch.map(f);
    const answerBy = Math.max(...col((p) => p.deadlineAt)) + this.opts.lateOutcomeMs;
    const sentAt = new Date();
    let sent = false;
    try {
      const res = await queryWithin<BatchRow>(
        this.pool,
        "debit",
        answerBy,
        BATCH_SQL,
        [
          col((p) => p.input.clientId),
          col((p) => p.input.keyHash),
          col((p) => p.input.ref),
          col((p) => p.input.routeId),
          col((p) => p.input.method),
          col((p) => new Date(p.guardAt).toISOString()),
          this.opts.rollupPeriodMs ?? null,
          ...priceColumns(col((p) => p.input)),
        ],
        () => (sent = true),
      );
      for (const row of res.rows) this.answer(batch[row.idx - 1]!, row);
      for (const p of batch) this.fail(p, new Error("ledger_debit_batch_assets returned no row for a debit"));
    } catch (err) {
      for (const p of batch) this.fail(p, err);
      // Sent, and no answer from the server (deadline, broken connection): it may have committed.
      if (sent && !answeredByServer(err))
        this.opts.onLost?.(
          col((p) => p.input),
          sentAt,
        );
    }
  }

  private answer(p: Pending, row: BatchRow): void {
    const paid = row.opt === null ? undefined : debitPrices(p.input)?.[row.opt - 1];
    if (p.settled) {
      if (row.outcome === "applied") this.opts.onOrphan?.(p.input, row.entry_id!, paid);
      return;
    }
    switch (row.outcome) {
      case "applied":
        this.settle(p, {
          kind: "applied",
          balanceMicro: BigInt(row.balance_micro!),
          entryId: row.entry_id!,
          ...(paid ? { paid, primaryBalanceMicro: BigInt(row.primary_micro!) } : {}),
        });
        return;
      case "insufficient":
        this.settle(p, { kind: "insufficient", balanceMicro: BigInt(row.balance_micro!) });
        return;
      case "bad_credentials":
      case "suspended":
        this.settle(p, { kind: row.outcome });
        return;
      case "expired":
        this.fail(p, expired());
        return;
    }
  }

  private settle(p: Pending, outcome: DebitOutcome): void {
    if (p.settled) return;
    p.settled = true;
    p.cancelTimer();
    p.resolve(outcome);
  }

  private fail(p: Pending, err: unknown): void {
    if (p.settled) return;
    p.settled = true;
    p.cancelTimer();
    p.reject(err);
  }
}
