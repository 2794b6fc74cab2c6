/**
 * Prepaid usage as rollups per batch (migration 0010; GATEWAY_LEDGER_ROLLUP_MS=0 since 0011): per account
 * one `usage` ledger entry per batch, the per-call detail in usage_events (periods: usage-periods.test.ts).
 * Balances exact per call, rollups equal to their detail, chains verify, single calls inside a rollup
 * refunded exactly.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DebitInput, DebitOutcome } from "../../src/ports/store.js";
import { listEntries } from "../../src/manage/ledger/entries.js";
import { verifyLedger } from "../../src/store/ledger-verify.js";
import { createPgStore, type PgStore } from "../../src/store/pg-store.js";
import { refundCharge } from "../../src/store/refunds.js";
import { freshDatabase, type TestDatabase } from "../support/db.js";
import { fund, newAccount, tally, type TestAccount } from "./helpers.js";

let db: TestDatabase;
let replicas: PgStore[];
const open = (over: Parameters<typeof createPgStore>[0] extends infer O ? Partial<O> : never = {}) =>
  createPgStore({
    databaseUrl: db.url,
    poolMax: 8,
    statementTimeoutMs: 60_000,
    connectTimeoutMs: 60_000,
    defaultDeadlineMs: 90_000,
    queueMax: 20_000,
    ledgerRollups: true,
    ledgerRollupMs: 0,
    ...over,
  });

beforeAll(async () => {
  db = await freshDatabase();
  replicas = [open(), open()];
});
afterAll(async () => {
  for (const s of replicas ?? []) await s.close();
  await db?.drop();
});

const debit = (a: TestAccount, amountMicro: bigint, ref: string, routeId = "r"): DebitInput => ({
  clientId: a.clientId,
  keyHash: a.keyHash,
  amountMicro,
  routeId,
  method: "GET",
  ref,
});

describe("usage rollups", () => {
  it("10,000 debits over 10 accounts from two replicas: exact balances, rollups sum to the detail, chains verify, one entry per account per batch", async () => {
    const [a, b] = replicas as [PgStore, PgStore];
    const accounts: { acct: TestAccount; price: bigint }[] = [];
    for (let i = 0; i < 10; i++) {
      const acct = await newAccount(a);
      const price = 1000n + BigInt(i);
      await fund(a, acct.clientId, 900n * price + price / 2n); // 900 debits fit, the 901st does not
      accounts.push({ acct, price });
    }
    const calls: Promise<DebitOutcome>[] = [];
    const refOf: string[] = [];
    for (let round = 0; round < 1000; round++) {
      for (const [i, { acct, price }] of accounts.entries()) {
        const ref = `u${round}-a${i}`;
        refOf.push(ref);
        calls.push(((round + i) % 2 === 0 ? a : b).debit(debit(acct, price, ref)));
      }
    }
    const outcomes = await Promise.all(calls);
    expect(tally(outcomes)).toEqual({ applied: 9000, insufficient: 1000 });

    for (const { acct, price } of accounts) {
      expect((await a.getAccount(acct.clientId))?.balanceMicro).toBe(price / 2n);
      const detail = await a.pool.query<{ n: number; total: string; refs: number }>(
        "SELECT count(*)::int AS n, sum(amount_micro)::text AS total, count(DISTINCT decision_id)::int AS refs FROM usage_events WHERE client_id = $1",
        [acct.clientId],
      );
      expect(detail.rows[0]).toEqual({ n: 900, total: String(900n * price), refs: 900 });
      const rollups = await a.pool.query<{ calls: string; total: string; debits: number }>(
        `SELECT sum(call_count)::text AS calls, (-sum(amount_micro))::text AS total,
                count(*) FILTER (WHERE kind = 'debit')::int AS debits
           FROM ledger_entries WHERE client_id = $1 AND kind IN ('usage', 'debit')`,
        [acct.clientId],
      );
      expect(rollups.rows[0]).toEqual({ calls: "900", total: String(900n * price), debits: 0 });
    }
    // Each rollup equals its own detail (count and total), not just per account.
    const mismatched = await a.pool.query(
      `SELECT e.client_id, e.seq FROM ledger_entries e
         LEFT JOIN (SELECT client_id, ledger_seq, count(*) AS n, sum(amount_micro) AS total FROM usage_events GROUP BY 1, 2) d
           ON d.client_id = e.client_id AND d.ledger_seq = e.seq
        WHERE e.kind = 'usage' AND (d.n IS DISTINCT FROM e.call_count OR d.total IS DISTINCT FROM -e.amount_micro)`,
    );
    expect(mismatched.rows).toEqual([]);

    // Every applied outcome names the usage entry that holds its call.
    const holder = new Map(
      (
        await a.pool.query<{ decision_id: string; id: string }>(
          `SELECT u.decision_id, e.id::text AS id FROM usage_events u
         JOIN ledger_entries e ON e.client_id = u.client_id AND e.seq = u.ledger_seq AND e.kind = 'usage'`,
        )
      ).rows.map((r) => [r.decision_id, r.id]),
    );
    outcomes.forEach((o, i) => {
      if (o.kind === "applied") expect(o.entryId).toBe(holder.get(refOf[i]!));
    });

    const usage = await a.pool.query<{ rows: number; batches: number }>(
      "SELECT count(*)::int AS rows, count(DISTINCT xmin::text)::int AS batches FROM ledger_entries WHERE kind = 'usage'",
    );
    const { rows, batches } = usage.rows[0]!;
    // One usage entry per account per batch (≤ 10 accounts in a batch), and far fewer entries than calls.
    expect(rows).toBeLessThanOrEqual(10 * batches);
    expect(rows).toBeLessThan(9000 / 5);
    expect(await verifyLedger(a)).toEqual({ ok: true, accounts: 10, entries: 10 + rows });
  }, 240_000);

  it("refunds single calls inside one rollup exactly, once each", async () => {
    const store = open({ batchWindowMs: 50 });
    try {
      const acct = await newAccount(store);
      await fund(store, acct.clientId, 100_000n);
      const outcomes = await Promise.all(Array.from({ length: 20 }, (_, i) => store.debit(debit(acct, 100n + BigInt(i), `one-${i}`))));
      expect(tally(outcomes)).toEqual({ applied: 20 });
      const spent = 20n * 100n + 190n; // 100 + … + 119
      const entries = new Set(outcomes.map((o) => (o.kind === "applied" ? o.entryId : "")));
      expect(entries.size).toBeLessThan(20); // calls shared rollups
      const refund = (decisionId: string) =>
        refundCharge(store.pool, { decisionId, status: 503, reason: "upstream_5xx", windowMs: 600_000 });
      expect(await refund("one-7")).toEqual({
        kind: "refunded",
        charge: "prepaid",
        routeId: "r",
        amountMicro: 107n,
        clientId: acct.clientId,
      });
      expect(await refund("one-13")).toMatchObject({ kind: "refunded", amountMicro: 113n });
      expect(await refund("one-7")).toEqual({ kind: "duplicate" });
      expect(await refund("none-such")).toEqual({ kind: "unknown" });
      expect((await store.getAccount(acct.clientId))?.balanceMicro).toBe(100_000n - spent + 107n + 113n);
      const refunds = await store.pool.query(
        "SELECT ref, amount_micro::text FROM ledger_entries WHERE client_id = $1 AND kind = 'refund' ORDER BY seq",
        [acct.clientId],
      );
      expect(refunds.rows).toEqual([
        { ref: "one-7", amount_micro: "107" },
        { ref: "one-13", amount_micro: "113" },
      ]);
      expect(await verifyLedger(store)).toMatchObject({ ok: true });
      // The management API shows each rollup's call count and first/last decision id.
      const usage = (await listEntries(store.pool, { clientId: acct.clientId, limit: 100 })).filter((e) => e.kind === "usage");
      expect(usage.reduce((n, e) => n + Number((e as { callCount?: string }).callCount), 0)).toBe(20);
      // Batches are contiguous runs of arrivals: the first call opens one rollup, the last closes one.
      expect(usage.map((e) => (e as { firstRef?: string }).firstRef)).toContain("one-0");
      expect(usage.map((e) => (e as { lastRef?: string }).lastRef)).toContain("one-19");
    } finally {
      await store.close();
    }
  }, 60_000);

  it("verify-ledger reports a rollup whose retained detail was changed", async () => {
    const store = replicas[0]!;
    const acct = await newAccount(store);
    await fund(store, acct.clientId, 10_000n);
    await Promise.all([store.debit(debit(acct, 10n, "t-1")), store.debit(debit(acct, 20n, "t-2"))]);
    expect(await verifyLedger(store)).toMatchObject({ ok: true });
    await store.pool.query("UPDATE usage_events SET amount_micro = 11 WHERE decision_id = 't-1'");
    const seq = (await store.pool.query<{ s: string }>("SELECT ledger_seq::text AS s FROM usage_events WHERE decision_id = 't-1'")).rows[0]!
      .s;
    expect(await verifyLedger(store)).toEqual({ ok: false, clientId: acct.clientId, seq: BigInt(seq), problem: "usage_mismatch" });
    await store.pool.query("UPDATE usage_events SET amount_micro = 10 WHERE decision_id = 't-1'");
    await store.pool.query("DELETE FROM usage_events WHERE decision_id = 't-2'");
    expect(await verifyLedger(store)).toMatchObject({ ok: false, clientId: acct.clientId, problem: "usage_mismatch" });
  }, 60_000);
});
