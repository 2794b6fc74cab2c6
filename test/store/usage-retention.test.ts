/**
 * Retention of usage detail (migration 0010, src/store/usage-retention.ts): partitions created ahead,
 * exactly the expired days dropped (summed into usage_daily first), one replica at a time; refunds,
 * revenue and the ledger chain stay exact after the drop.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { revenue } from "../../src/manage/reports/revenue.js";
import { verifyLedger } from "../../src/store/ledger-verify.js";
import { createPgStore, type PgStore } from "../../src/store/pg-store.js";
import { refundCharge } from "../../src/store/refunds.js";
import { maintainUsage } from "../../src/store/usage-retention.js";
import { freshDatabase, type TestDatabase } from "../support/db.js";
import { fund, newAccount, tally } from "./helpers.js";

let db: TestDatabase;
let store: PgStore;
let other: PgStore;
const open = () =>
  createPgStore({
    databaseUrl: db.url,
    poolMax: 4,
    statementTimeoutMs: 60_000,
    connectTimeoutMs: 60_000,
    defaultDeadlineMs: 90_000,
    ledgerRollups: true,
    batchWindowMs: 20,
  });

beforeAll(async () => {
  db = await freshDatabase();
  store = open();
  other = open();
});
afterAll(async () => {
  await store?.close();
  await other?.close();
  await db?.drop();
});

const DAY = 86_400_000;
const todayMs = Date.parse(new Date().toISOString().slice(0, 10));
const day = (offset: number) => new Date(todayMs + offset * DAY).toISOString().slice(0, 10);
const part = (offset: number) => `usage_events_p${day(offset).replaceAll("-", "")}`;
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => part(from + i));

async function partitions(): Promise<string[]> {
  const res = await store.pool.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = 'usage_events'::regclass AND c.relname <> 'usage_events_default' ORDER BY 1`,
  );
  return res.rows.map((r) => r.name);
}

async function createPast(from: number, to: number): Promise<void> {
  for (let d = from; d <= to; d++) await store.pool.query("SELECT usage_partition_ensure($1::date)", [day(d)]);
}

describe("usage retention", () => {
  it("drops exactly the expired day partitions; refunds, revenue and the chain stay exact after the drop", async () => {
    const acct = await newAccount(store);
    await fund(store, acct.clientId, 1_000_000n);
    const outcomes = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        store.debit({
          clientId: acct.clientId,
          keyHash: acct.keyHash,
          amountMicro: 1000n + BigInt(i),
          routeId: i % 2 ? "odd" : "even",
          method: "GET",
          ref: `k-${i}`,
        }),
      ),
    );
    expect(tally(outcomes)).toEqual({ applied: 50 });
    const refund = (decisionId: string, requestedAt?: Date) =>
      refundCharge(store.pool, {
        decisionId,
        status: 504,
        reason: "upstream_timeout",
        windowMs: 600_000,
        ...(requestedAt ? { requestedAt } : {}),
      });
    expect(await refund("k-3")).toMatchObject({ kind: "refunded", amountMicro: 1003n });
    const window = { from: `${day(-1)}T00:00:00Z`, to: `${day(2)}T00:00:00Z`, groupBy: "route" as const };
    const before = await revenue(store.pool, window);
    expect(before.groups.map((g) => [(g as Record<string, unknown>).route, g.prepaidRequests])).toEqual([
      ["even", 25],
      ["odd", 25],
    ]);

    // The test makes past days; the migration made today … today + 2.
    await createPast(-10, -1);
    expect(await partitions()).toEqual(range(-10, 2));
    // Retention 7 days: days before today − 7 go, today − 7 stays.
    expect(await maintainUsage(store.pool, { retentionDays: 7 })).toEqual({ ran: true, created: [], dropped: range(-10, -8) });
    expect(await partitions()).toEqual(range(-7, 2));
    expect(await maintainUsage(store.pool, { retentionDays: 7 })).toEqual({ ran: true, created: [], dropped: [] });
    expect(await verifyLedger(store)).toMatchObject({ ok: true });

    // Eight days later: today's detail expires too; partitions ahead are made from that day.
    const later = new Date(todayMs + 8 * DAY + 3_600_000);
    expect(await maintainUsage(store.pool, { retentionDays: 7, now: later })).toEqual({
      ran: true,
      created: range(8, 10),
      dropped: range(-7, 0),
    });
    expect(await partitions()).toEqual([...range(1, 2), ...range(8, 10)]);
    expect((await store.pool.query("SELECT count(*)::int AS n FROM usage_events")).rows[0].n).toBe(0);

    // Revenue from the day sums, exact; the chain still verifies (rollups without detail by the chain alone).
    expect(await revenue(store.pool, window)).toEqual(before);
    expect(await verifyLedger(store)).toMatchObject({ ok: true });
    // No detail, no refund: the balance does not move; a refund given before stays a duplicate. The access
    // log says when the request started: older than the window, so the honest answer is `expired`; without
    // it the store cannot tell a dropped call from a foreign decision id.
    const balance = (await store.getAccount(acct.clientId))!.balanceMicro;
    const eightDaysAgo = new Date(Date.now() - 8 * DAY);
    expect(await refund("k-4", eightDaysAgo)).toEqual({ kind: "expired" });
    expect(await refund("k-4")).toEqual({ kind: "unknown" });
    expect(await refund("k-3", eightDaysAgo)).toEqual({ kind: "duplicate" });
    // A request inside the window whose call is not found is not a call of ours: unknown.
    expect(await refund("k-4", new Date())).toEqual({ kind: "unknown" });
    expect((await store.getAccount(acct.clientId))!.balanceMicro).toBe(balance);
    const spent = 50n * 1000n + 1225n - 1003n;
    expect(balance).toBe(1_000_000n - spent);
  }, 60_000);

  it("two replicas at once: one does the maintenance, nothing is dropped twice or early", async () => {
    await createPast(-30, -20);
    const dropped = range(-30, -20);
    // While one replica holds the lock, another skips.
    const holder = await other.pool.connect();
    try {
      await holder.query("BEGIN");
      await holder.query("SELECT pg_advisory_xact_lock(4020150001)");
      expect(await maintainUsage(store.pool, { retentionDays: 7 })).toEqual({ ran: false });
      expect(await partitions()).toEqual(expect.arrayContaining(dropped));
    } finally {
      await holder.query("ROLLBACK");
      holder.release();
    }
    const results = await Promise.all([store, other, store, other].map((s) => maintainUsage(s.pool, { retentionDays: 7 })));
    const all = results.flatMap((r) => (r.ran ? r.dropped : []));
    expect(all.sort()).toEqual(dropped);
    expect(results.filter((r) => r.ran && r.dropped.length > 0)).toHaveLength(1);
    expect((await partitions()).filter((p) => p < part(-7))).toEqual([]);
    expect(await partitions()).toEqual(expect.arrayContaining([part(1), part(2)]));
    expect(await verifyLedger(store)).toMatchObject({ ok: true });
  }, 60_000);

  it("a day whose rows already sit in the default partition does not stop maintenance", async () => {
    await store.pool.query(
      `INSERT INTO usage_events (decision_id, client_id, route_id, method, amount_micro, ledger_seq, created_at)
       VALUES ('stray', 'nobody', 'r', 'GET', 1, 1, $1::timestamptz)`,
      [`${day(40)}T12:00:00Z`],
    );
    await createPast(-60, -60);
    const done = await maintainUsage(store.pool, { retentionDays: 7, now: new Date(todayMs + 39 * DAY) });
    expect(done).toMatchObject({ ran: true, created: [part(39), part(41)] });
    expect(done.ran && done.dropped).toContain(part(-60));
    expect((await store.pool.query("SELECT count(*)::int AS n FROM usage_events_default")).rows[0].n).toBe(1);
  }, 60_000);
});
