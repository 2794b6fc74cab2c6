/**
 * Usage rollups per period (migration 0011): per account the calls of a period accumulate on the
 * account row and become ONE `usage` ledger entry when the period closes — by the account's next batch
 * after it ended, before any other entry of the account, or by the sweep. Balances exact per call,
 * rollups equal to their detail, chains verify with periods open or closed, refunds exact, sweeps from
 * many replicas close each period once and never early.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DebitInput, DebitOutcome } from "../../src/ports/store.js";
import { verifyLedger } from "../../src/store/ledger-verify.js";
import { createPgStore, type PgStore } from "../../src/store/pg-store.js";
import { refundCharge } from "../../src/store/refunds.js";
import { closeDueUsage } from "../../src/store/usage-periods.js";
import { runMaintain } from "../../src/cli/usage.js";
import { freshDatabase, type TestDatabase } from "../support/db.js";
import { chainedCalls, chargedCalls, closeAllPeriods, fund, newAccount, tally, type TestAccount } from "./helpers.js";
import { legacyMovement } from "./legacy-ledger.js";

let db: TestDatabase;
const stores: PgStore[] = [];
const open = (over: Parameters<typeof createPgStore>[0] extends infer O ? Partial<O> : never = {}) => {
  const s = createPgStore({
    databaseUrl: db.url,
    poolMax: 8,
    statementTimeoutMs: 60_000,
    connectTimeoutMs: 60_000,
    defaultDeadlineMs: 90_000,
    queueMax: 20_000,
    ...over,
  });
  stores.push(s);
  return s;
};

beforeAll(async () => {
  db = await freshDatabase();
});
afterAll(async () => {
  for (const s of stores) await s.close();
  await db?.drop();
});

const debit = (a: TestAccount, amountMicro: bigint, ref: string): DebitInput => ({
  clientId: a.clientId,
  keyHash: a.keyHash,
  amountMicro,
  routeId: "r",
  method: "GET",
  ref,
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const refund = (store: PgStore, decisionId: string) =>
  refundCharge(store.pool, { decisionId, status: 503, reason: "upstream_5xx", windowMs: 600_000 });

async function entriesOf(store: PgStore, clientId: string) {
  type Text = string | null;
  type Row = { kind: string; amount_micro: string; call_count: Text; first_ref: Text; last_ref: Text; ref: Text };
  const res = await store.pool.query<Row>(
    "SELECT kind, amount_micro::text, call_count::text, first_ref, last_ref, ref FROM ledger_entries WHERE client_id = $1 ORDER BY seq",
    [clientId],
  );
  return res.rows;
}

async function openPeriod(store: PgStore, clientId: string) {
  const res = await store.pool.query<{ calls: string | null; total: string | null }>(
    "SELECT usage_calls::text AS calls, usage_total_micro::text AS total FROM prepaid_accounts WHERE client_id = $1",
    [clientId],
  );
  return res.rows[0]!;
}

describe("usage rollups per period", () => {
  it("10,000 debits over 10 accounts from two replicas: exact balances, rollups = detail, chains verify, rows ≤ accounts × periods", async () => {
    const PERIOD = 250;
    const a = open({ ledgerRollupMs: PERIOD });
    const b = open({ ledgerRollupMs: PERIOD });
    const accounts: { acct: TestAccount; price: bigint }[] = [];
    for (let i = 0; i < 10; i++) {
      const acct = await newAccount(a);
      const price = 1000n + BigInt(i);
      await fund(a, acct.clientId, 900n * price + price / 2n); // 900 debits fit, the 901st does not
      accounts.push({ acct, price });
    }
    const t0 = Date.now();
    // Ten waves of 1,000 calls, so the run spans several periods.
    const outcomes: DebitOutcome[] = [];
    for (let wave = 0; wave < 10; wave++) {
      const calls: Promise<DebitOutcome>[] = [];
      for (let round = wave * 100; round < (wave + 1) * 100; round++) {
        for (const [i, { acct, price }] of accounts.entries()) {
          calls.push(((round + i) % 2 === 0 ? a : b).debit(debit(acct, price, `u${round}-a${i}`)));
        }
      }
      outcomes.push(...(await Promise.all(calls)));
    }
    const elapsedMs = Date.now() - t0;
    expect(tally(outcomes)).toEqual({ applied: 9000, insufficient: 1000 });
    // Verified with periods still open: chain balance − open period = balance, open period = its detail.
    expect(await verifyLedger(a)).toMatchObject({ ok: true, accounts: 10 });

    for (const { acct, price } of accounts) {
      expect((await a.getAccount(acct.clientId))?.balanceMicro).toBe(price / 2n);
      expect(await chargedCalls(a.pool, acct.clientId)).toEqual({ n: 900, total: 900n * price });
    }
    expect(await closeAllPeriods(a.pool)).toBeLessThanOrEqual(10);
    for (const { acct, price } of accounts) {
      expect(await chainedCalls(a.pool, acct.clientId)).toEqual({ n: 900, total: 900n * price });
      const debits = (await entriesOf(a, acct.clientId)).filter((e) => e.kind === "debit");
      expect(debits).toEqual([]);
    }
    // Each rollup equals its own detail, and its calls lie within one period.
    type Rollup = {
      client_id: string;
      seq: string;
      n: string;
      call_count: string;
      total: string;
      amount: string;
      span_ms: number;
      batches: number;
    };
    const rollups = await a.pool.query<Rollup>(
      `SELECT e.client_id, e.seq::text, d.n::text, e.call_count::text, d.total::text, (-e.amount_micro)::text AS amount,
              d.span_ms, d.batches
         FROM ledger_entries e
         LEFT JOIN (SELECT client_id, ledger_seq, count(*) AS n, sum(amount_micro) AS total, count(DISTINCT xmin::text)::int AS batches,
                           (extract(epoch FROM max(created_at) - min(created_at)) * 1000)::int AS span_ms
                      FROM usage_events GROUP BY 1, 2) d ON d.client_id = e.client_id AND d.ledger_seq = e.seq
        WHERE e.kind = 'usage'`,
    );
    for (const r of rollups.rows) {
      expect([r.n, r.total]).toEqual([r.call_count, r.amount]);
      expect(r.span_ms).toBeLessThan(PERIOD);
    }
    // Far fewer ledger rows than calls, bounded by the periods the run spanned (not by its batches).
    const rows = rollups.rows.length;
    const batches = rollups.rows.reduce((n, r) => n + r.batches, 0);
    expect(rows).toBeLessThanOrEqual(10 * (Math.ceil(elapsedMs / PERIOD) + 1));
    expect(rows).toBeLessThan(batches);
    expect(rows).toBeLessThan(9000 / 5);
    expect(await verifyLedger(a)).toEqual({ ok: true, accounts: 10, entries: 10 + rows });
  }, 300_000);

  it("refunds of single calls inside an open and inside a closed period are exact", async () => {
    const store = open({ ledgerRollupMs: 600_000, batchWindowMs: 20 });
    const acct = await newAccount(store);
    await fund(store, acct.clientId, 100_000n);
    const first = await Promise.all(Array.from({ length: 20 }, (_, i) => store.debit(debit(acct, 100n + BigInt(i), `one-${i}`))));
    expect(tally(first)).toEqual({ applied: 20 });
    expect(new Set(first.map((o) => (o.kind === "applied" ? o.entryId : ""))).size).toBe(1); // one open period
    expect(await openPeriod(store, acct.clientId)).toEqual({ calls: "20", total: String(20n * 100n + 190n) });

    // Inside the open period: the refund closes it first (all 20 calls), then refunds exactly one call.
    expect(await refund(store, "one-7")).toEqual({
      kind: "refunded",
      charge: "prepaid",
      routeId: "r",
      amountMicro: 107n,
      clientId: acct.clientId,
    });
    expect(await openPeriod(store, acct.clientId)).toEqual({ calls: null, total: null });
    // A new period opens with the next calls; refund one of them, and one more of the closed period.
    const second = await Promise.all(Array.from({ length: 5 }, (_, i) => store.debit(debit(acct, 1000n + BigInt(i), `two-${i}`))));
    expect(tally(second)).toEqual({ applied: 5 });
    expect(await refund(store, "two-3")).toMatchObject({ kind: "refunded", amountMicro: 1003n });
    expect(await refund(store, "one-13")).toMatchObject({ kind: "refunded", amountMicro: 113n });
    expect(await refund(store, "one-7")).toEqual({ kind: "duplicate" });
    expect(await refund(store, "none-such")).toEqual({ kind: "unknown" });

    const spent = 20n * 100n + 190n + 5n * 1000n + 10n;
    expect((await store.getAccount(acct.clientId))?.balanceMicro).toBe(100_000n - spent + 107n + 1003n + 113n);
    const entries = await entriesOf(store, acct.clientId);
    expect(entries.map((e) => [e.kind, e.amount_micro, e.call_count ?? e.ref])).toEqual([
      ["deposit", "100000", expect.any(String)],
      ["usage", String(-(20n * 100n + 190n)), "20"],
      ["refund", "107", "one-7"],
      ["usage", String(-(5n * 1000n + 10n)), "5"],
      ["refund", "1003", "two-3"],
      ["refund", "113", "one-13"],
    ]);
    expect(entries[1]).toMatchObject({ first_ref: "one-0", last_ref: "one-19" });
    expect(await verifyLedger(store)).toMatchObject({ ok: true });
  }, 60_000);

  it("any other entry of the account closes its open period first; a period is closed by the next batch after it ended", async () => {
    const store = open({ ledgerRollupMs: 400, batchWindowMs: 1 });
    const acct = await newAccount(store);
    await fund(store, acct.clientId, 10_000n);
    await store.debit(debit(acct, 10n, "p1"));
    await store.debit(debit(acct, 20n, "p2"));
    await fund(store, acct.clientId, 5n); // a deposit: the open period (p1, p2) goes into the chain before it
    await store.debit(debit(acct, 30n, "p3"));
    await sleep(600);
    await store.debit(debit(acct, 40n, "p4")); // p3's period has ended: this batch closes it, p4 opens the next
    const entries = await entriesOf(store, acct.clientId);
    expect(entries.map((e) => [e.kind, e.amount_micro, e.call_count, e.first_ref, e.last_ref])).toEqual([
      ["deposit", "10000", null, null, null],
      ["usage", "-30", "2", "p1", "p2"],
      ["deposit", "5", null, null, null],
      ["usage", "-30", "1", "p3", "p3"],
    ]);
    expect(await openPeriod(store, acct.clientId)).toEqual({ calls: "1", total: "40" });
    expect((await store.getAccount(acct.clientId))?.balanceMicro).toBe(10_005n - 100n);
    expect(await verifyLedger(store)).toMatchObject({ ok: true });
  }, 60_000);

  it("the per-call mode closes an open period before its first debit entry", async () => {
    const rollups = open({ ledgerRollupMs: 600_000 });
    const perCall = open({ ledgerRollups: false });
    const acct = await newAccount(rollups);
    await fund(rollups, acct.clientId, 1000n);
    await rollups.debit(debit(acct, 10n, "r1"));
    await perCall.debit(debit(acct, 20n, "c1"));
    const entries = await entriesOf(rollups, acct.clientId);
    expect(entries.map((e) => [e.kind, e.amount_micro, e.ref ?? e.first_ref])).toEqual([
      ["deposit", "1000", expect.any(String)],
      ["usage", "-10", "r1"],
      ["debit", "-20", "c1"],
    ]);
    expect(await verifyLedger(rollups)).toMatchObject({ ok: true });
  }, 60_000);

  it("a writer that does not close the open period (the previous release) is refused and writes nothing", async () => {
    const store = open({ ledgerRollupMs: 600_000 });
    const acct = await newAccount(store);
    await fund(store, acct.clientId, 1000n);
    await store.debit(debit(acct, 10n, "open"));
    const base = { clientId: acct.clientId, routeId: null, method: null, txHash: null, ref: "old-code" };
    await expect(legacyMovement(store.pool, { ...base, kind: "credit", amountMicro: 5n })).rejects.toMatchObject({ code: "40001" });
    expect((await store.getAccount(acct.clientId))?.balanceMicro).toBe(990n);
    expect(await verifyLedger(store)).toMatchObject({ ok: true });
  }, 60_000);

  it("verify-ledger catches an open period that disagrees with its detail or the balance", async () => {
    const store = open({ ledgerRollupMs: 600_000, batchWindowMs: 20 });
    const acct = await newAccount(store);
    await fund(store, acct.clientId, 1000n);
    await Promise.all([store.debit(debit(acct, 10n, "v1")), store.debit(debit(acct, 20n, "v2"))]);
    expect(await verifyLedger(store)).toMatchObject({ ok: true });
    const tamper = (sql: string) => store.pool.query(sql, [acct.clientId]);
    await tamper("UPDATE prepaid_accounts SET usage_total_micro = usage_total_micro + 1 WHERE client_id = $1");
    expect(await verifyLedger(store)).toEqual({ ok: false, clientId: acct.clientId, seq: 1n, problem: "balance_mismatch" });
    await tamper("UPDATE prepaid_accounts SET usage_total_micro = usage_total_micro - 1 WHERE client_id = $1");
    await tamper("UPDATE usage_events SET amount_micro = 11 WHERE client_id = $1 AND decision_id = 'v1'");
    expect(await verifyLedger(store)).toEqual({ ok: false, clientId: acct.clientId, seq: 2n, problem: "usage_mismatch" });
    await tamper("UPDATE usage_events SET amount_micro = 10 WHERE client_id = $1 AND decision_id = 'v1'");
    await tamper("UPDATE usage_events SET ledger_seq = 7 WHERE client_id = $1 AND decision_id = 'v2'");
    expect(await verifyLedger(store)).toMatchObject({ ok: false, clientId: acct.clientId, problem: "usage_mismatch" });
    await tamper("UPDATE usage_events SET ledger_seq = 2 WHERE client_id = $1 AND decision_id = 'v2'");
    expect(await verifyLedger(store)).toMatchObject({ ok: true });
  }, 60_000);

  it("sweeps from two replicas at once close each due period once and none early; a locked account is skipped, then closed", async () => {
    const PERIOD = 800;
    const [a, b] = [open({ ledgerRollupMs: PERIOD }), open({ ledgerRollupMs: PERIOD })];
    await closeAllPeriods(a.pool); // periods the tests above left open
    const before = Number((await a.pool.query("SELECT count(*) AS n FROM ledger_entries WHERE kind = 'usage'")).rows[0].n);
    const due: TestAccount[] = [];
    for (let i = 0; i < 40; i++) {
      const acct = await newAccount(a);
      await fund(a, acct.clientId, 1000n);
      due.push(acct);
    }
    await Promise.all(due.map((acct, i) => a.debit(debit(acct, 7n, `due-${i}`))));
    await sleep(PERIOD + 300);
    const fresh = await newAccount(a);
    await fund(a, fresh.clientId, 1000n);
    await a.debit(debit(fresh, 9n, "fresh"));
    // One account is held by another transaction (a debit batch of another replica, say): sweeps skip it.
    const holder = await b.pool.connect();
    try {
      await holder.query("BEGIN");
      await holder.query("SELECT 1 FROM prepaid_accounts WHERE client_id = $1 FOR UPDATE", [due[0]!.clientId]);
      const closed = await Promise.all([a, b, a, b].map((s) => closeDueUsage(s.pool, PERIOD)));
      expect(closed.reduce((x, y) => x + y, 0)).toBe(39);
    } finally {
      await holder.query("ROLLBACK");
      holder.release();
    }
    expect(await closeDueUsage(b.pool, PERIOD)).toBe(1);
    expect(await Promise.all([closeDueUsage(a.pool, PERIOD), closeDueUsage(b.pool, PERIOD)])).toEqual([0, 0]);
    const usage = await a.pool.query<{ client_id: string; n: number; calls: string }>(
      "SELECT client_id, count(*)::int AS n, sum(call_count)::text AS calls FROM ledger_entries WHERE kind = 'usage' GROUP BY 1",
    );
    const mine = usage.rows.filter((r) => due.some((d) => d.clientId === r.client_id) || r.client_id === fresh.clientId);
    expect(mine).toHaveLength(40); // each due period closed exactly once; the fresh one not yet
    expect(mine.every((r) => r.n === 1 && r.calls === "1")).toBe(true);
    expect(usage.rows.reduce((n, r) => n + r.n, 0) - before).toBe(40);
    expect(await openPeriod(a, fresh.clientId)).toEqual({ calls: "1", total: "9" });
    expect(await verifyLedger(a)).toMatchObject({ ok: true });
  }, 60_000);
  it("gate402 maintain closes ended periods, and with --close-open-periods (0 ms) every open one", async () => {
    const store = open({ ledgerRollupMs: 3_600_000 });
    const acct = await newAccount(store);
    await fund(store, acct.clientId, 10_000n);
    const outs = await Promise.all(Array.from({ length: 7 }, (_, i) => store.debit(debit(acct, 100n, `m-${i}`))));
    expect(tally(outs)).toEqual({ applied: 7 });
    const run = async (afterMs: number) => {
      let text = "";
      const out = { write: (c: string) => ((text += c), true) } as unknown as NodeJS.WritableStream;
      expect(await runMaintain(db.url, 7, out, afterMs)).toBe(0);
      return JSON.parse(text) as { ok: boolean; closedPeriods: number };
    };
    // The period is an hour long and just opened: not due, so maintenance leaves it open.
    expect((await run(3_600_000)).closedPeriods).toBe(0);
    expect(await openPeriod(store, acct.clientId)).toEqual({ calls: "7", total: "700" });
    // Other tests' accounts may have open periods too: at least this one is closed.
    expect((await run(0)).closedPeriods).toBeGreaterThanOrEqual(1);
    expect(await openPeriod(store, acct.clientId)).toEqual({ calls: null, total: null });
    const usage = (await entriesOf(store, acct.clientId)).filter((e) => e.kind === "usage");
    expect(usage).toEqual([expect.objectContaining({ amount_micro: "-700", call_count: "7", first_ref: expect.any(String) })]);
    expect((await verifyLedger(store)).ok).toBe(true);
  });
});
