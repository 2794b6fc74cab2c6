/**
 * Migration 0010 (usage rollups) takes forward a database written by the first release (0001–0004)
 * and one written by the current release (0001–0009, per-call debits through the group-commit batch):
 * every balance, chain and redemption stays as it was; rollups continue the old chains; old per-call
 * debits stay verifiable, refundable and in the revenue report.
 */
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { revenue } from "../../src/manage/reports/revenue.js";
import { createAccount } from "../../src/store/accounts.js";
import { legacyDebit as applyDebit, legacyMovement as applyMovement } from "./legacy-ledger.js";
import { verifyLedger } from "../../src/store/ledger-verify.js";
import { migrate, migrationsDir, MIGRATIONS_TABLE } from "../../src/store/migrate.js";
import { createPgStore } from "../../src/store/pg-store.js";
import { refundCharge } from "../../src/store/refunds.js";
import { emptyDatabase, type TestDatabase } from "../support/db.js";
import { sha256Hex, tally, txHash } from "./helpers.js";

const dbs: TestDatabase[] = [];
afterAll(async () => {
  for (const d of dbs) await d.drop();
});

const silent = { info: () => {}, warn: () => {}, error: () => {} };

async function migratedTo(count: number): Promise<TestDatabase> {
  const db = await emptyDatabase();
  dbs.push(db);
  const { runner } = await import("node-pg-migrate");
  await runner({ databaseUrl: db.url, dir: migrationsDir(), migrationsTable: MIGRATIONS_TABLE, direction: "up", count, logger: silent });
  return db;
}

async function snapshot(pool: pg.Pool) {
  const q = async (sql: string) => (await pool.query(sql)).rows;
  return {
    accounts: await q("SELECT client_id, balance_micro::text, ledger_seq::text, ledger_head FROM prepaid_accounts ORDER BY client_id"),
    ledger: await q("SELECT id::text, client_id, seq::text, kind, amount_micro::text, balance_after_micro::text, ref, route_id, hash, prev_hash FROM ledger_entries ORDER BY id"),
    redemptions: await q("SELECT invoice_id, tx_hash, uses_left FROM redemptions ORDER BY invoice_id"),
  };
}

/** After 0010: rollups on the old chains, old and new calls refunded exactly, all in the report, chains verify. */
async function continueWithRollups(url: string, clients: readonly string[], oldRef: string): Promise<void> {
  const store = createPgStore({ databaseUrl: url, poolMax: 4, statementTimeoutMs: 60_000, connectTimeoutMs: 60_000, defaultDeadlineMs: 90_000, ledgerRollups: true });
  try {
    const before = new Map<string, bigint>();
    for (const c of clients) before.set(c, (await store.getAccount(c))!.balanceMicro);
    const outcomes = await Promise.all(clients.flatMap((clientId) => Array.from({ length: 4 }, (_, i) =>
      store.debit({ clientId, keyHash: sha256Hex(`${clientId}-key`), amountMicro: 50n + BigInt(i), routeId: "r", method: "GET", ref: `new-${clientId}-${i}` }))));
    expect(tally(outcomes)).toEqual({ applied: 4 * clients.length });
    const window = 600_000;
    expect(await refundCharge(store.pool, { decisionId: oldRef, status: 502, reason: "upstream_5xx", windowMs: window }))
      .toMatchObject({ kind: "refunded", amountMicro: 700n, clientId: clients[0] });
    expect(await refundCharge(store.pool, { decisionId: `new-${clients[1]}-2`, status: 502, reason: "upstream_5xx", windowMs: window }))
      .toMatchObject({ kind: "refunded", amountMicro: 52n, clientId: clients[1] });
    expect((await store.getAccount(clients[0]!))!.balanceMicro).toBe(before.get(clients[0]!)! - 206n + 700n);
    expect((await store.getAccount(clients[1]!))!.balanceMicro).toBe(before.get(clients[1]!)! - 206n + 52n);
    const kinds = await store.pool.query("SELECT DISTINCT kind FROM ledger_entries WHERE kind IN ('debit', 'usage') ORDER BY kind");
    expect(kinds.rows).toEqual([{ kind: "debit" }, { kind: "usage" }]);
    const report = await revenue(store.pool, { from: "2000-01-01T00:00:00Z", to: "2100-01-01T00:00:00Z", groupBy: "route" });
    expect(report.groups).toEqual([expect.objectContaining({ route: "r", prepaidRequests: 5 * clients.length + 4 * clients.length, prepaidMicro: String(BigInt(clients.length) * (5n * 700n + 206n)) })]);
    expect(await verifyLedger(store)).toMatchObject({ ok: true, accounts: clients.length });
  } finally {
    await store.close();
  }
}

describe("migration 0010 (usage rollups)", () => {
  it("takes a database of the first release (0001–0004) forward", async () => {
    const db = await migratedTo(4);
    const old = new pg.Pool({ connectionString: db.url, max: 2 });
    const clients = ["alice", "bob"];
    for (const clientId of clients) {
      await createAccount(old, { clientId, keyHash: sha256Hex(`${clientId}-key`), depositMemo: `memo-${clientId}` });
      await applyMovement(old, { clientId, kind: "deposit", amountMicro: 10_000n, ref: null, routeId: null, method: null, txHash: txHash() });
      for (let i = 0; i < 5; i++) {
        expect(await applyDebit(old, { clientId, kind: "debit", amountMicro: -700n, ref: `old-${clientId}-${i}`, routeId: "r", method: "GET", txHash: null }, sha256Hex(`${clientId}-key`))).not.toBeNull();
      }
    }
    const before = await snapshot(old);
    await old.end();
    await migrate(db.url);
    const pool = new pg.Pool({ connectionString: db.url, max: 2 });
    try {
      expect(await snapshot(pool)).toEqual(before);
    } finally {
      await pool.end();
    }
    await continueWithRollups(db.url, clients, "old-alice-3");
  }, 120_000);

  it("takes a database of the current release (0001–0009, batched per-call debits) forward", async () => {
    const db = await migratedTo(9);
    const clients = ["carol", "dave"];
    const store = createPgStore({ databaseUrl: db.url, poolMax: 4, statementTimeoutMs: 60_000, connectTimeoutMs: 60_000, defaultDeadlineMs: 90_000 });
    try {
      for (const clientId of clients) {
        await createAccount(store.pool, { clientId, keyHash: sha256Hex(`${clientId}-key`), depositMemo: `memo-${clientId}` });
        await store.creditDeposit({ clientId, txHash: txHash(), amountMicro: 10_000n, height: 1, sender: "s" });
      }
      const outcomes = await Promise.all(clients.flatMap((clientId) => Array.from({ length: 5 }, (_, i) =>
        store.debit({ clientId, keyHash: sha256Hex(`${clientId}-key`), amountMicro: 700n, routeId: "r", method: "GET", ref: `old-${clientId}-${i}` }))));
      expect(tally(outcomes)).toEqual({ applied: 10 });
    } finally {
      await store.close();
    }
    const pool = new pg.Pool({ connectionString: db.url, max: 2 });
    try {
      const before = await snapshot(pool);
      await migrate(db.url);
      expect(await snapshot(pool)).toEqual(before);
    } finally {
      await pool.end();
    }
    await continueWithRollups(db.url, clients, "old-carol-1");
  }, 120_000);
});
