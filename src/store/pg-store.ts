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
  StorePort,
} from "../ports/store.js";
import type { PaymentIndexPort } from "../ports/payments.js";
import * as accounts from "./accounts.js";
import { creditDeposit } from "./deposits.js";
import { applyDebit } from "./ledger.js";
import { createPool, poolStatsOf, query, type PoolOptions, type PoolStats } from "./pool.js";
import { pgPaymentIndex } from "./payments.js";
import { findRedemption, redeem } from "./redeem.js";

export type PgStoreOptions = PoolOptions;

export class PgStore implements StorePort {
  private closing: Promise<void> | undefined;
  /** payments recorded by the watcher (migration 0003) */
  readonly payments: PaymentIndexPort;

  /** @param pool owned by the store from now on: close() ends it */
  constructor(readonly pool: pg.Pool) {
    this.payments = pgPaymentIndex(pool);
  }

  redeem(input: RedeemInput): Promise<RedeemOutcome> {
    return redeem(this.pool, input);
  }

  findRedemption(invoiceId: string): Promise<RedemptionRecord | null> {
    return findRedemption(this.pool, invoiceId);
  }

  /** @throws AccountExistsError when the client id or deposit memo is taken */
  createAccount(account: NewAccount): Promise<PrepaidAccount> {
    return accounts.createAccount(this.pool, account);
  }

  getAccount(clientId: string): Promise<PrepaidAccount | null> {
    return accounts.getAccount(this.pool, clientId);
  }

  findAccountByDepositMemo(memo: string): Promise<PrepaidAccount | null> {
    return accounts.findAccountByDepositMemo(this.pool, memo);
  }

  checkKey(clientId: string, keyHash: string): Promise<boolean> {
    return accounts.checkKey(this.pool, clientId, keyHash);
  }

  /**
   * One statement debits and appends the hash-chained ledger entry; only when it writes nothing does a
   * second query tell why. @throws RangeError when amountMicro ≤ 0
   */
  async debit(input: DebitInput): Promise<DebitOutcome> {
    if (input.amountMicro <= 0n) throw new RangeError(`debit amountMicro must be > 0, got ${input.amountMicro}`);
    const movement = {
      clientId: input.clientId,
      kind: "debit" as const,
      amountMicro: -input.amountMicro,
      ref: input.ref,
      routeId: input.routeId,
      method: input.method,
      txHash: null,
    };
    // Two attempts: a deposit landing between the refused debit and the refusal query is retried once.
    for (let attempt = 0; ; attempt++) {
      const moved = await applyDebit(this.pool, movement, input.keyHash);
      if (moved) return { kind: "applied", balanceMicro: moved.balanceMicro, entryId: moved.entryId };
      const refusal = await accounts.debitRefusal(this.pool, input.clientId, input.keyHash);
      if (refusal.kind !== "insufficient" || refusal.balanceMicro < input.amountMicro || attempt === 1) return refusal;
    }
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
  return new PgStore(createPool(options));
}

/** Pool gauges `{ total, idle, waiting }` of a store or a pool, for the metrics layer. */
export function poolStats(source: PgStore | pg.Pool): PoolStats {
  return source instanceof PgStore ? source.poolStats() : poolStatsOf(source);
}
