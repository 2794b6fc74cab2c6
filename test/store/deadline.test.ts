/**
 * Deadlines on money writes: the caller is answered StoreUnavailableError by its deadline, and a
 * statement that reaches Postgres (or gets its lock) after the deadline changes nothing — whether it
 * waited on a row lock or sat in a partitioned network link that later healed.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StoreUnavailableError } from "../../src/ports/errors.js";
import type { DebitInput } from "../../src/ports/store.js";
import { verifyLedger } from "../../src/store/ledger-verify.js";
import { createPgStore, type PgStore } from "../../src/store/pg-store.js";
import { freshDatabase, type TestDatabase } from "../support/db.js";
import { tcpProxy, type TcpProxy } from "../support/tcp-proxy.js";
import { fund, newAccount, redeemInput, type TestAccount } from "./helpers.js";

let db: TestDatabase;
let direct: PgStore;
beforeAll(async () => {
  db = await freshDatabase();
  direct = createPgStore({ databaseUrl: db.url, statementTimeoutMs: 30_000, connectTimeoutMs: 30_000 });
});
afterAll(async () => {
  await direct?.close();
  await db?.drop();
});

const debit = (a: TestAccount, ref: string): DebitInput => ({
  clientId: a.clientId,
  keyHash: a.keyHash,
  amountMicro: 10n,
  routeId: "r",
  method: "GET",
  ref,
});

/** Settles `p` and says how long it took. */
async function timed<T>(p: Promise<T>): Promise<{ err: unknown; value?: T; ms: number }> {
  const t0 = Date.now();
  try {
    return { err: undefined, value: await p, ms: Date.now() - t0 };
  } catch (err) {
    return { err, ms: Date.now() - t0 };
  }
}

/** What a late statement could have changed: ledger rows, balances, claims and redemptions. */
async function moneyState(): Promise<unknown> {
  const res = await direct.pool.query(`SELECT
      (SELECT count(*)::int FROM ledger_entries) AS entries,
      (SELECT count(*)::int FROM usage_events) AS calls,
      (SELECT coalesce(sum(balance_micro), 0)::text FROM prepaid_accounts) AS balances,
      (SELECT count(*)::int FROM spent_txs) AS claims,
      (SELECT count(*)::int FROM redemptions) AS redemptions`);
  return res.rows[0];
}

// An account's entries; a `usage` rollup shows its first call's decision id.
const ENTRIES_SQL =
  "SELECT kind, amount_micro::text, coalesce(ref, first_ref) AS ref FROM ledger_entries WHERE client_id = $1 ORDER BY seq";

/** Waits until no backend of this database runs one of our money functions any more. */
async function quiescent(): Promise<void> {
  await expect
    .poll(
      async () => {
        const res = await direct.pool.query(
          `SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid()
          AND (query LIKE '%ledger_debit_batch%' OR query LIKE '%redeem_invoice%') AND state <> 'idle'`,
        );
        return res.rows[0].n;
      },
      { timeout: 20_000, interval: 100 },
    )
    .toBe(0);
}

describe("deadline-bound money writes", () => {
  it("a debit and a redemption stuck behind locks past their deadline answer 503 in time and write nothing when the locks go", async () => {
    const store = createPgStore({ databaseUrl: db.url, statementTimeoutMs: 30_000 });
    const acct = await newAccount(direct);
    await fund(direct, acct.clientId, 1000n);
    const input = redeemInput();
    const locker = new pg.Client({ connectionString: db.url });
    await locker.connect();
    try {
      await locker.query("BEGIN");
      await locker.query("SELECT 1 FROM prepaid_accounts WHERE client_id = $1 FOR UPDATE", [acct.clientId]);
      // An uncommitted claim of the same tx: the redemption's INSERT … ON CONFLICT waits for it.
      await locker.query("INSERT INTO spent_txs (tx_hash, purpose, invoice_id) VALUES ($1, 'invoice', $2)", [
        input.txHash,
        input.invoiceId,
      ]);
      const before = await moneyState();
      const deadlineAt = Date.now() + 400;
      const [d, r] = await Promise.all([
        timed(store.debit(debit(acct, "late"), { deadlineAt })),
        timed(store.redeem(input, { deadlineAt })),
      ]);
      for (const t of [d, r]) {
        expect(t.err).toBeInstanceOf(StoreUnavailableError);
        expect(t.ms).toBeLessThan(400 + 1000);
      }
      await new Promise((res) => setTimeout(res, 200));
      await locker.query("ROLLBACK"); // the waiting statements now get their locks, after their deadline
      await quiescent();
      expect(await moneyState()).toEqual(before);
    } finally {
      await locker.end();
      await store.close();
    }
  });

  it("a call whose deadline already passed is refused before anything is sent", async () => {
    const acct = await newAccount(direct);
    await fund(direct, acct.clientId, 1000n);
    const before = await moneyState();
    const past = { deadlineAt: Date.now() - 1 };
    await expect(direct.debit(debit(acct, "past"), past)).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(direct.redeem(redeemInput(), past)).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(await moneyState()).toEqual(before);
  });

  describe("network partition on open pooled connections", () => {
    let proxy: TcpProxy;
    let store: PgStore;
    beforeAll(async () => {
      const url = new URL(db.url);
      proxy = await tcpProxy(url.hostname, Number(url.port || 5432));
      url.port = String(proxy.port);
      store = createPgStore({ databaseUrl: url.toString(), poolMax: 4, statementTimeoutMs: 30_000, connectTimeoutMs: 30_000 });
    });
    afterAll(async () => {
      await store?.close();
      await proxy?.close();
    });

    it("every debit and redemption answers 503 within its deadline; after the link heals nothing was committed", async () => {
      const accts = [await newAccount(direct), await newAccount(direct)];
      for (const a of accts) await fund(direct, a.clientId, 1000n);
      // Open every pooled connection first, so the statements go out on established links.
      await Promise.all(Array.from({ length: 4 }, () => store.pool.query("SELECT pg_sleep(0.05)")));
      expect(store.pool.totalCount).toBe(4);
      const before = await moneyState();
      proxy.stall();
      const deadlineAt = Date.now() + 500;
      const calls: Promise<unknown>[] = [
        ...Array.from({ length: 20 }, (_, i) => store.debit(debit(accts[i % 2]!, `p-${i}`), { deadlineAt })),
        ...Array.from({ length: 6 }, () => store.redeem(redeemInput(), { deadlineAt })),
      ];
      const results = await Promise.all(calls.map((c) => timed(c)));
      for (const t of results) {
        expect(t.err).toBeInstanceOf(StoreUnavailableError);
        expect(t.ms).toBeLessThan(500 + 1000);
      }
      // The held-back statements now reach Postgres, long after their deadlines.
      proxy.heal();
      await new Promise((res) => setTimeout(res, 500));
      await quiescent();
      expect(await moneyState()).toEqual(before);
      expect((await verifyLedger(direct)).ok).toBe(true);
      // And the store works again on fresh connections.
      expect(await store.debit(debit(accts[0]!, "after"))).toMatchObject({ kind: "applied", balanceMicro: 990n });
    });
    it("a commit whose answer comes back after the 503 is compensated: the debit refunded, the redemption owed to the next copy", async () => {
      const acct = await newAccount(direct);
      await fund(direct, acct.clientId, 1000n);
      const input = redeemInput();
      await Promise.all(Array.from({ length: 4 }, () => store.pool.query("SELECT pg_sleep(0.05)")));
      // Statements still reach Postgres and commit in time; only their answers are held back.
      proxy.stall("answers");
      const deadlineAt = Date.now() + 600;
      const [d, r] = await Promise.all([
        timed(store.debit(debit(acct, "held"), { deadlineAt })),
        timed(store.redeem(input, { deadlineAt })),
      ]);
      expect(d.err).toBeInstanceOf(StoreUnavailableError);
      expect(r.err).toBeInstanceOf(StoreUnavailableError);
      proxy.heal();
      // The debit's late outcome is refunded: the account ends where it started, the ledger says why.
      await expect.poll(async () => (await direct.getAccount(acct.clientId))?.balanceMicro, { timeout: 10_000, interval: 50 }).toBe(1000n);
      // The refund closed the call's usage period first: the chain holds the call, then its refund.
      const entries = await direct.pool.query(ENTRIES_SQL, [acct.clientId]);
      expect(entries.rows.slice(1)).toEqual([
        { kind: "usage", amount_micro: "-10", ref: "held" },
        { kind: "refund", amount_micro: "10", ref: "held" },
      ]);
      expect((await verifyLedger(direct)).ok).toBe(true);
      // The redemption did commit; the next copy of the proof gets the use it paid for, once.
      expect(await direct.findRedemption(input.invoiceId)).toMatchObject({ usesLeft: 0 });
      await expect.poll(async () => (await store.redeem(input)).kind, { timeout: 10_000, interval: 100 }).toBe("applied");
      expect(await store.redeem(input)).toEqual({ kind: "used_up" });
    });
    it("a debit batch whose answer is lost with its connection is looked up in the ledger later and refunded", async () => {
      const url = new URL(db.url);
      url.port = String(proxy.port);
      // Gives up on late answers quickly: the connection is discarded before the link heals.
      const impatient = createPgStore({
        databaseUrl: url.toString(),
        poolMax: 2,
        statementTimeoutMs: 30_000,
        connectTimeoutMs: 30_000,
        lateOutcomeMs: 200,
      });
      try {
        const acct = await newAccount(direct);
        await fund(direct, acct.clientId, 1000n);
        await impatient.ping();
        proxy.stall("answers");
        const d = await timed(impatient.debit(debit(acct, "lost"), { deadlineAt: Date.now() + 500 }));
        expect(d.err).toBeInstanceOf(StoreUnavailableError);
        await new Promise((res) => setTimeout(res, 800)); // the batch's connection is gone now
        expect((await direct.getAccount(acct.clientId))?.balanceMicro).toBe(990n); // it did commit
        proxy.heal();
        await expect
          .poll(async () => (await direct.getAccount(acct.clientId))?.balanceMicro, { timeout: 20_000, interval: 100 })
          .toBe(1000n);
        const entries = await direct.pool.query(ENTRIES_SQL, [acct.clientId]);
        expect(entries.rows.slice(1)).toEqual([
          { kind: "usage", amount_micro: "-10", ref: "lost" },
          { kind: "refund", amount_micro: "10", ref: "lost" },
        ]);
        expect((await verifyLedger(direct)).ok).toBe(true);
      } finally {
        proxy.heal();
        await impatient.close();
      }
    });
  });
});
