/** Builders for store tests: accounts, tx hashes, redemptions, funding. */
import { createHash, randomBytes } from "node:crypto";
import type pg from "pg";
import type { NewAccount, RedeemInput } from "../../src/ports/store.js";
import { createPgStore, type PgStore } from "../../src/store/pg-store.js";
import { closeDueUsage } from "../../src/store/usage-periods.js";
import { freshDatabase, type TestDatabase } from "../support/db.js";

/** A random tx hash: 64 uppercase hex. */
export function txHash(): string {
  return randomBytes(32).toString("hex").toUpperCase();
}

export function sha256Hex(s: string): string {
  return createHash("sha256").update(s).digest("hex");
}

export interface TestAccount extends NewAccount {
  /** the secret key whose hash is keyHash */
  readonly key: string;
}

let counter = 0;

/** Creates an account with a fresh client id, key and memo (overridable). */
export async function newAccount(store: PgStore, overrides: Partial<TestAccount> = {}): Promise<TestAccount> {
  counter += 1;
  const key = overrides.key ?? `key-${randomBytes(8).toString("hex")}`;
  const acct: TestAccount = {
    clientId: `client-${counter}-${randomBytes(4).toString("hex")}`,
    depositMemo: `memo-${randomBytes(6).toString("hex")}`,
    keyHash: sha256Hex(key),
    ...overrides,
    key,
  };
  await store.createAccount(acct);
  return acct;
}

/** Credits `amountMicro` to the account through a deposit with a fresh tx hash. */
export async function fund(store: PgStore, clientId: string, amountMicro: bigint): Promise<string> {
  const tx = txHash();
  const out = await store.creditDeposit({ clientId, txHash: tx, amountMicro, height: 100, sender: "neutaro1sender" });
  if (out.kind !== "applied") throw new Error(`funding failed: ${out.kind}`);
  return tx;
}

/** A redemption input with a fresh invoice id and tx hash (overridable). */
export function redeemInput(overrides: Partial<RedeemInput> = {}): RedeemInput {
  return {
    invoiceId: `inv_${randomBytes(10).toString("base64url")}`,
    txHash: txHash(),
    routeId: "api-data",
    method: "GET",
    priceMicro: 1000n,
    paidMicro: 1000n,
    payer: "neutaro1payer",
    uses: 1,
    ...overrides,
  };
}

/** Counts of each outcome kind. */
export function tally<T extends { kind: string }>(outcomes: readonly T[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const o of outcomes) counts[o.kind] = (counts[o.kind] ?? 0) + 1;
  return counts;
}

/**
 * A fresh migrated database and a store over it, for one test file: call `openContendedStore()` in
 * beforeAll and `close()` in afterAll. Generous budgets: these tests prove correctness under
 * contention on a shared 2-core machine; the 1 s / 2 s production defaults are covered in
 * unavailable.test.ts.
 */
export async function openContendedStore(): Promise<{ store: PgStore; db: TestDatabase; close(): Promise<void> }> {
  const db = await freshDatabase();
  const store = createPgStore({ databaseUrl: db.url, poolMax: 20, statementTimeoutMs: 10_000, connectTimeoutMs: 30_000 });
  return {
    store,
    db,
    close: async () => {
      await store.close();
      await db.drop();
    },
  };
}

/**
 * The prepaid calls charged to an account, whichever way the ledger recorded them: per-call `debit`
 * entries (GATEWAY_LEDGER_ROLLUPS=false, or written by earlier releases) plus the per-call usage detail
 * of rollups, open periods included. `total` in uneutaro.
 */
export async function chargedCalls(pool: pg.Pool, clientId: string): Promise<{ n: number; total: bigint }> {
  const res = await pool.query<{ n: number; total: string }>(
    `SELECT (SELECT count(*) FROM ledger_entries WHERE client_id = $1 AND kind = 'debit')
          + (SELECT count(*) FROM usage_events WHERE client_id = $1) AS n,
            ((SELECT coalesce(-sum(amount_micro), 0) FROM ledger_entries WHERE client_id = $1 AND kind = 'debit')
          + (SELECT coalesce(sum(amount_micro), 0) FROM usage_events WHERE client_id = $1))::text AS total`,
    [clientId],
  );
  return { n: Number(res.rows[0]!.n), total: BigInt(res.rows[0]!.total) };
}

/**
 * The calls the hash chain itself holds for an account: `debit` entries count one, `usage` rollups their
 * call_count. Equal to chargedCalls once every open period is closed (closeAllPeriods).
 */
export async function chainedCalls(pool: pg.Pool, clientId: string): Promise<{ n: number; total: bigint }> {
  const res = await pool.query<{ n: string; total: string }>(
    `SELECT coalesce(sum(CASE kind WHEN 'debit' THEN 1 ELSE call_count END), 0)::text AS n,
            coalesce(-sum(amount_micro), 0)::text AS total
       FROM ledger_entries WHERE client_id = $1 AND kind IN ('debit', 'usage')`,
    [clientId],
  );
  return { n: Number(res.rows[0]!.n), total: BigInt(res.rows[0]!.total) };
}

/** Closes every open usage period into its ledger entry (the sweep with period 0). @returns how many. */
export async function closeAllPeriods(pool: pg.Pool): Promise<number> {
  return closeDueUsage(pool, 0);
}
