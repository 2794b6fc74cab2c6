/**
 * Migrations 0010 (usage rollups) and 0011 (rollups per period) take forward a database written by the
 * first release (0001–0004), one written by the release before rollups (0001–0009, per-call debits
 * through the group-commit batch) and one written with per-batch rollups (0001–0010):
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
const noRoute = (clientId: string) => ({ clientId, ref: null, routeId: null, method: null });

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
    ledger: await q(
      "SELECT id::text, client_id, seq::text, kind, amount_micro::text, balance_after_micro::text, ref, route_id, hash, prev_hash FROM ledger_entries ORDER BY id",
    ),
    redemptions: await q("SELECT invoice_id, tx_hash, uses_left FROM redemptions ORDER BY invoice_id"),
  };
}

/** After 0010: rollups on the old chains, old and new calls refunded exactly, all in the report, chains verify. */
async function continueWithRollups(url: string, clients: readonly string[], oldRef: string): Promise<void> {
  const store = createPgStore({
    databaseUrl: url,
    poolMax: 4,
    statementTimeoutMs: 60_000,
    connectTimeoutMs: 60_000,
    defaultDeadlineMs: 90_000,
    ledgerRollups: true,
  });
  try {
    const before = new Map<string, bigint>();
    for (const c of clients) before.set(c, (await store.getAccount(c))!.balanceMicro);
    const outcomes = await Promise.all(
      clients.flatMap((clientId) =>
        Array.from({ length: 4 }, (_, i) =>
          store.debit({
            clientId,
            keyHash: sha256Hex(`${clientId}-key`),
            amountMicro: 50n + BigInt(i),
            routeId: "r",
            method: "GET",
            ref: `new-${clientId}-${i}`,
          }),
        ),
      ),
    );
    expect(tally(outcomes)).toEqual({ applied: 4 * clients.length });
    const window = 600_000;
    expect(await refundCharge(store.pool, { decisionId: oldRef, status: 502, reason: "upstream_5xx", windowMs: window })).toMatchObject({
      kind: "refunded",
      amountMicro: 700n,
      clientId: clients[0],
    });
    expect(
      await refundCharge(store.pool, { decisionId: `new-${clients[1]}-2`, status: 502, reason: "upstream_5xx", windowMs: window }),
    ).toMatchObject({ kind: "refunded", amountMicro: 52n, clientId: clients[1] });
    expect((await store.getAccount(clients[0]!))!.balanceMicro).toBe(before.get(clients[0]!)! - 206n + 700n);
    expect((await store.getAccount(clients[1]!))!.balanceMicro).toBe(before.get(clients[1]!)! - 206n + 52n);
    const kinds = await store.pool.query("SELECT DISTINCT kind FROM ledger_entries WHERE kind IN ('debit', 'usage') ORDER BY kind");
    expect(kinds.rows).toEqual([{ kind: "debit" }, { kind: "usage" }]);
    const report = await revenue(store.pool, { from: "2000-01-01T00:00:00Z", to: "2100-01-01T00:00:00Z", groupBy: "route" });
    expect(report.groups).toEqual([
      expect.objectContaining({
        route: "r",
        prepaidRequests: 5 * clients.length + 4 * clients.length,
        prepaidMicro: String(BigInt(clients.length) * (5n * 700n + 206n)),
      }),
    ]);
    expect(await verifyLedger(store)).toMatchObject({ ok: true, accounts: clients.length });
  } finally {
    await store.close();
  }
}

describe("migrations 0010 and 0011 (usage rollups, per batch then per period)", () => {
  it("takes a database of the first release (0001–0004) forward", async () => {
    const db = await migratedTo(4);
    const old = new pg.Pool({ connectionString: db.url, max: 2 });
    const clients = ["alice", "bob"];
    for (const clientId of clients) {
      await createAccount(old, { clientId, keyHash: sha256Hex(`${clientId}-key`), depositMemo: `memo-${clientId}` });
      await applyMovement(old, {
        clientId,
        kind: "deposit",
        amountMicro: 10_000n,
        ref: null,
        routeId: null,
        method: null,
        txHash: txHash(),
      });
      for (let i = 0; i < 5; i++) {
        expect(
          await applyDebit(
            old,
            { clientId, kind: "debit", amountMicro: -700n, ref: `old-${clientId}-${i}`, routeId: "r", method: "GET", txHash: null },
            sha256Hex(`${clientId}-key`),
          ),
        ).not.toBeNull();
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
    // Written as that release wrote: its movement statement for deposits, its group-commit batch (0007) for debits.
    const writer = new pg.Pool({ connectionString: db.url, max: 2 });
    try {
      for (const clientId of clients) {
        await createAccount(writer, { clientId, keyHash: sha256Hex(`${clientId}-key`), depositMemo: `memo-${clientId}` });
        await applyMovement(writer, { ...noRoute(clientId), kind: "deposit", amountMicro: 10_000n, txHash: txHash() });
      }
      const batch = clients.flatMap((clientId) => Array.from({ length: 5 }, (_, i) => ({ clientId, ref: `old-${clientId}-${i}` })));
      const res = await writer.query<{ outcome: string }>(
        `SELECT outcome FROM ledger_debit_batch($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[],
                                                $7::timestamptz[])`,
        [
          batch.map((d) => d.clientId),
          batch.map((d) => sha256Hex(`${d.clientId}-key`)),
          batch.map(() => "700"),
          batch.map((d) => d.ref),
          batch.map(() => "r"),
          batch.map(() => "GET"),
          batch.map(() => new Date(Date.now() + 60_000).toISOString()),
        ],
      );
      expect(tally(res.rows.map((r) => ({ kind: r.outcome })))).toEqual({ applied: 10 });
    } finally {
      await writer.end();
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
  it("takes a database with per-batch rollups (0001–0010) forward: old rollups verify against their detail, refund, report", async () => {
    const db = await migratedTo(10);
    const clients = ["erin", "frank"];
    const writer = new pg.Pool({ connectionString: db.url, max: 2 });
    try {
      for (const clientId of clients) {
        await createAccount(writer, { clientId, keyHash: sha256Hex(`${clientId}-key`), depositMemo: `memo-${clientId}` });
        await applyMovement(writer, { ...noRoute(clientId), kind: "deposit", amountMicro: 10_000n, txHash: txHash() });
      }
      // Two batches through 0010's rollup batch: per account one usage entry per batch, detail per call.
      for (const round of [0, 1]) {
        const batch = clients.flatMap((clientId) => Array.from({ length: 3 }, (_, i) => ({ clientId, ref: `b${round}-${clientId}-${i}` })));
        const res = await writer.query<{ outcome: string }>(
          `SELECT outcome FROM ledger_debit_batch_rollup($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[],
                                                         $7::timestamptz[])`,
          [
            batch.map((d) => d.clientId),
            batch.map((d) => sha256Hex(`${d.clientId}-key`)),
            batch.map(() => "700"),
            batch.map((d) => d.ref),
            batch.map(() => "r"),
            batch.map(() => "GET"),
            batch.map(() => new Date(Date.now() + 60_000).toISOString()),
          ],
        );
        expect(tally(res.rows.map((r) => ({ kind: r.outcome })))).toEqual({ applied: 6 });
      }
      const before = await snapshot(writer);
      expect(before.ledger.filter((e) => e.kind === "usage")).toHaveLength(4);
      await migrate(db.url);
      expect(await snapshot(writer)).toEqual(before);
      expect(await verifyLedger(writer)).toEqual({ ok: true, accounts: 2, entries: 6 });
    } finally {
      await writer.end();
    }
    const store = createPgStore({
      databaseUrl: db.url,
      poolMax: 4,
      statementTimeoutMs: 60_000,
      connectTimeoutMs: 60_000,
      defaultDeadlineMs: 90_000,
    });
    try {
      const outcomes = await Promise.all(
        clients.map((clientId, i) =>
          store.debit({ clientId, keyHash: sha256Hex(`${clientId}-key`), amountMicro: 55n, routeId: "r", method: "GET", ref: `p-${i}` }),
        ),
      );
      expect(tally(outcomes)).toEqual({ applied: 2 });
      // An old rolled-up call and a call of the open period: each refunded exactly.
      const window = 600_000;
      expect(
        await refundCharge(store.pool, { decisionId: "b0-erin-1", status: 502, reason: "upstream_5xx", windowMs: window }),
      ).toMatchObject({ kind: "refunded", amountMicro: 700n, clientId: "erin" });
      expect(await refundCharge(store.pool, { decisionId: "p-1", status: 502, reason: "upstream_5xx", windowMs: window })).toMatchObject({
        kind: "refunded",
        amountMicro: 55n,
        clientId: "frank",
      });
      expect((await store.getAccount("erin"))!.balanceMicro).toBe(10_000n - 6n * 700n - 55n + 700n);
      expect((await store.getAccount("frank"))!.balanceMicro).toBe(10_000n - 6n * 700n);
      const report = await revenue(store.pool, { from: "2000-01-01T00:00:00Z", to: "2100-01-01T00:00:00Z", groupBy: "route" });
      expect(report.groups).toEqual([
        expect.objectContaining({ route: "r", prepaidRequests: 14, prepaidMicro: String(12n * 700n + 2n * 55n) }),
      ]);
      expect(await verifyLedger(store)).toMatchObject({ ok: true, accounts: 2 });
      // erin's refund closed her period (usage of 1 call, then the refund); frank's closed with his.
      const usage = await store.pool.query("SELECT client_id, call_count::int AS n FROM ledger_entries WHERE kind = 'usage' ORDER BY id");
      expect(
        usage.rows
          .filter((r) => r.n === 1)
          .map((r) => r.client_id)
          .sort(),
      ).toEqual(["erin", "frank"]);
    } finally {
      await store.close();
    }
  }, 120_000);
});
