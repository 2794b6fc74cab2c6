/**
 * Group commit: debits arriving together share one statement and one commit, applied per account in
 * arrival order against the running balance, from several replicas at once, with chains that verify.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DebitInput, DebitOutcome } from "../../src/ports/store.js";
import { verifyLedger } from "../../src/store/ledger-verify.js";
import { createPgStore, type PgStore } from "../../src/store/pg-store.js";
import { freshDatabase, type TestDatabase } from "../support/db.js";
import { fund, newAccount, tally, type TestAccount } from "./helpers.js";

let db: TestDatabase;
let replicas: PgStore[];
// Generous deadlines and bounds: this proves correctness under contention on a loaded 2-core machine.
const open = (over: Parameters<typeof createPgStore>[0] extends infer O ? Partial<O> : never = {}) =>
  createPgStore({
    databaseUrl: db.url,
    poolMax: 8,
    statementTimeoutMs: 60_000,
    connectTimeoutMs: 60_000,
    defaultDeadlineMs: 90_000,
    queueMax: 20_000,
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

const debit = (a: TestAccount, amountMicro: bigint, ref: string): DebitInput => ({
  clientId: a.clientId,
  keyHash: a.keyHash,
  amountMicro,
  routeId: "r",
  method: "GET",
  ref,
});

/**
 * The calls charged to an account, by decision id: its usage detail rows (rollups, the default) or its
 * per-call `debit` entries. amount_micro > 0; tx = the writing transaction (xmin).
 */
async function callsOf(store: PgStore, clientId: string) {
  const res = await store.pool.query<{ ref: string; amount_micro: string; tx: string }>(
    `SELECT decision_id AS ref, amount_micro::text, xmin::text AS tx FROM usage_events WHERE client_id = $1
     UNION ALL
     SELECT ref, (-amount_micro)::text, xmin::text FROM ledger_entries WHERE client_id = $1 AND kind = 'debit'
     ORDER BY 1`,
    [clientId],
  );
  return res.rows;
}

describe("group commit of prepaid debits", () => {
  it("10,000 concurrent debits over 100 accounts from two replicas: exact balances and calls, chains verify, few commits", async () => {
    const [a, b] = replicas as [PgStore, PgStore];
    const accounts: { acct: TestAccount; price: bigint }[] = [];
    for (let i = 0; i < 100; i++) {
      const acct = await newAccount(a);
      const price = 1000n + BigInt(i);
      await fund(a, acct.clientId, 70n * price + price / 2n); // 70 debits fit, the 71st does not
      accounts.push({ acct, price });
    }
    const calls: Promise<DebitOutcome>[] = [];
    for (let round = 0; round < 100; round++) {
      for (const [i, { acct, price }] of accounts.entries()) {
        calls.push(((round + i) % 2 === 0 ? a : b).debit(debit(acct, price, `r${round}-a${i}`)));
      }
    }
    const outcomes = await Promise.all(calls);
    expect(tally(outcomes)).toEqual({ applied: 7000, insufficient: 3000 });
    const transactions = new Set<string>();
    for (const { acct, price } of accounts) {
      expect((await a.getAccount(acct.clientId))?.balanceMicro).toBe(price / 2n);
      const rows = await callsOf(a, acct.clientId);
      expect(rows).toHaveLength(70);
      expect(new Set(rows.map((r) => r.ref)).size).toBe(70);
      expect(rows.every((r) => BigInt(r.amount_micro) === price)).toBe(true);
      for (const r of rows) transactions.add(r.tx);
    }
    // Every applied outcome names a ledger entry (its period's usage entry, once closed).
    expect(outcomes.every((o) => o.kind !== "applied" || /^\d+$/.test(o.entryId))).toBe(true);
    // Open periods count in verification: chain balance − open total = balance, detail = period.
    expect(await verifyLedger(a)).toEqual({ ok: true, accounts: 100, entries: 100 });
    // Group commit happened: far fewer transactions (commits) than debits.
    expect(transactions.size).toBeLessThan(7000 / 10);
  }, 240_000);

  it("a batch mixing affordable and unaffordable debits of one account applies exactly the affordable prefix, in arrival order", async () => {
    const store = open({ batchWindowMs: 50 });
    try {
      const acct = await newAccount(store);
      await fund(store, acct.clientId, 5000n);
      const outcomes = await Promise.all(Array.from({ length: 8 }, (_, i) => store.debit(debit(acct, 1000n, `p-${i}`))));
      expect(outcomes.map((o) => o.kind)).toEqual([
        "applied",
        "applied",
        "applied",
        "applied",
        "applied",
        "insufficient",
        "insufficient",
        "insufficient",
      ]);
      expect(outcomes.slice(0, 5).map((o) => (o.kind === "applied" ? o.balanceMicro : -1n))).toEqual([4000n, 3000n, 2000n, 1000n, 0n]);
      const rows = await callsOf(store, acct.clientId);
      expect(rows.map((r) => r.ref)).toEqual(["p-0", "p-1", "p-2", "p-3", "p-4"]);
      expect(new Set(rows.map((r) => r.tx)).size).toBe(1); // one transaction, one commit
      expect((await verifyLedger(store)).ok).toBe(true);
    } finally {
      await store.close();
    }
  });

  it("within a batch each debit is checked against the running balance: a small one after a refused large one still fits", async () => {
    const store = open({ batchWindowMs: 50 });
    try {
      const acct = await newAccount(store);
      const other = await newAccount(store);
      await fund(store, acct.clientId, 10n);
      await fund(store, other.clientId, 1n);
      const outcomes = await Promise.all([
        store.debit(debit(acct, 3n, "a")),
        store.debit(debit(other, 2n, "x")),
        store.debit(debit(acct, 8n, "b")),
        store.debit({ ...debit(acct, 1n, "wrong-key"), keyHash: other.keyHash }),
        store.debit(debit(acct, 2n, "c")),
        store.debit(debit(acct, 6n, "d")),
      ]);
      expect(outcomes).toEqual([
        { kind: "applied", balanceMicro: 7n, entryId: expect.any(String) },
        { kind: "insufficient", balanceMicro: 1n },
        { kind: "insufficient", balanceMicro: 7n },
        { kind: "bad_credentials" },
        { kind: "applied", balanceMicro: 5n, entryId: expect.any(String) },
        { kind: "insufficient", balanceMicro: 5n },
      ]);
      expect((await callsOf(store, acct.clientId)).map((r) => [r.ref, r.amount_micro])).toEqual([
        ["a", "3"],
        ["c", "2"],
      ]);
      expect((await verifyLedger(store)).ok).toBe(true);
    } finally {
      await store.close();
    }
  });

  it("past GATEWAY_DB_QUEUE_MAX operations in flight, a debit is refused at once with StoreUnavailableError and writes nothing", async () => {
    const store = open({ queueMax: 5, batchWindowMs: 100 });
    try {
      const acct = await newAccount(store);
      await fund(store, acct.clientId, 100n);
      const t0 = Date.now();
      const settled = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => store.debit(debit(acct, 1n, `q-${i}`))));
      const refused = settled.filter((s) => s.status === "rejected");
      expect(refused).toHaveLength(7);
      for (const r of refused) expect((r as PromiseRejectedResult).reason.name).toBe("StoreUnavailableError");
      expect(settled.filter((s) => s.status === "fulfilled").map((s) => (s as PromiseFulfilledResult<DebitOutcome>).value.kind)).toEqual(
        Array(5).fill("applied"),
      );
      expect((await callsOf(store, acct.clientId)).map((r) => r.ref)).toEqual(["q-0", "q-1", "q-2", "q-3", "q-4"]);
      expect(Date.now() - t0).toBeLessThan(10_000);
    } finally {
      await store.close();
    }
  });
});
