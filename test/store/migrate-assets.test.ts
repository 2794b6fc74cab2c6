/**
 * Migration 0012 (prepaid balances per asset) takes forward a database written by the previous release
 * (0001–0011: usage periods): balances, chains (with an open usage period), usage detail and redemptions
 * stay as they were and verify; the old chains then continue with entries of another asset (v3 hash), a
 * call in another asset closes the open primary period, and refunds go back to the asset each debit took.
 */
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
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
const IBC = { network: "cosmos:Neutaro-1", denom: "ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2", primary: false };
const PRIMARY = { network: "cosmos:Neutaro-1", denom: "uneutaro", primary: true };

async function snapshot(pool: pg.Pool) {
  const q = async (sql: string) => (await pool.query(sql)).rows;
  return {
    accounts: await q(`SELECT client_id, balance_micro::text, ledger_seq::text, ledger_head, usage_calls::text, usage_total_micro::text,
                              usage_first_ref, usage_last_ref, usage_entry_id::text FROM prepaid_accounts ORDER BY client_id`),
    ledger: await q(`SELECT id::text, client_id, seq::text, kind, amount_micro::text, balance_after_micro::text, ref, route_id, hash,
                            prev_hash, call_count::text FROM ledger_entries ORDER BY id`),
    usage: await q("SELECT decision_id, client_id, amount_micro::text, ledger_seq::text FROM usage_events ORDER BY decision_id"),
    redemptions: await q("SELECT invoice_id, tx_hash, uses_left FROM redemptions ORDER BY invoice_id"),
  };
}

/** Writes what the 0011 release wrote: accounts, deposits (ledger_move), a batch per call and one left in an open period. */
async function writeWithPreviousRelease(pool: pg.Pool): Promise<void> {
  for (const clientId of ["gina", "hank"]) {
    await pool.query(
      `INSERT INTO prepaid_accounts (client_id, key_hash, deposit_memo, balance_micro, ledger_head)
       VALUES ($1::text, $2, $3, 0, ledger_genesis_hash($1::text))`,
      [clientId, sha256Hex(`${clientId}-key`), `memo-${clientId}`],
    );
    const tx = txHash();
    await pool.query("INSERT INTO spent_txs (tx_hash, purpose, client_id, height, sender) VALUES ($1, 'deposit', $2, 1, 'neutaro1x')", [
      tx,
      clientId,
    ]);
    await pool.query("SELECT * FROM ledger_move($1, 'deposit', 10000, $2, NULL, NULL, $2, NULL)", [clientId, tx]);
  }
  const batch = async (period: number | null, refs: readonly [string, string][]) => {
    const res = await pool.query<{ outcome: string }>(
      `SELECT outcome FROM ledger_debit_batch_period($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[],
                                                     $7::timestamptz[], $8::bigint)`,
      [
        refs.map(([c]) => c),
        refs.map(([c]) => sha256Hex(`${c}-key`)),
        refs.map(() => "700"),
        refs.map(([, r]) => r),
        refs.map(() => "r"),
        refs.map(() => "GET"),
        refs.map(() => new Date(Date.now() + 60_000).toISOString()),
        period,
      ],
    );
    expect(tally(res.rows.map((r) => ({ kind: r.outcome })))).toEqual({ applied: refs.length });
  };
  await batch(null, [
    ["gina", "old-gina-0"],
    ["hank", "old-hank-0"],
  ]);
  // Left open: a period of an hour, still open when the database is migrated.
  await batch(3_600_000, [
    ["gina", "old-gina-1"],
    ["gina", "old-gina-2"],
    ["hank", "old-hank-1"],
  ]);
  const inv = txHash();
  const red = await pool.query<{ outcome: string }>(
    "SELECT outcome FROM redeem_invoice('inv-1', $1, 'r', 'GET', 500, 500, 'neutaro1p', 2, $2::timestamptz, 'dec-inv-1')",
    [inv, new Date(Date.now() + 60_000).toISOString()],
  );
  expect(red.rows[0]!.outcome).toBe("applied");
}

describe("migration 0012 (prepaid balances per asset)", () => {
  it("takes a database of the previous release (0001–0011, an open usage period) forward, and the chains continue per asset", async () => {
    const db = await emptyDatabase();
    dbs.push(db);
    const { runner } = await import("node-pg-migrate");
    await runner({
      databaseUrl: db.url,
      dir: migrationsDir(),
      migrationsTable: MIGRATIONS_TABLE,
      direction: "up",
      count: 11,
      logger: silent,
    });
    const writer = new pg.Pool({ connectionString: db.url, max: 2 });
    try {
      await writeWithPreviousRelease(writer);
      const before = await snapshot(writer);
      expect(before.accounts.map((a) => a.usage_calls)).toEqual(["2", "1"]);
      await migrate(db.url);
      expect(await snapshot(writer)).toEqual(before);
      // Old rows name no asset: the primary.
      const named = await writer.query("SELECT count(*)::int AS n FROM ledger_entries WHERE denom IS NOT NULL");
      expect(named.rows[0].n).toBe(0);
      expect(await verifyLedger(writer)).toEqual({ ok: true, accounts: 2, entries: 4 });
    } finally {
      await writer.end();
    }

    const store = createPgStore({
      databaseUrl: db.url,
      poolMax: 4,
      statementTimeoutMs: 60_000,
      connectTimeoutMs: 60_000,
      defaultDeadlineMs: 90_000,
      ledgerRollups: true,
      ledgerRollupMs: 3_600_000,
    });
    try {
      expect(await store.getAccount("gina")).toMatchObject({ balanceMicro: 10_000n - 3n * 700n, balances: [] });
      // A call in the primary asset joins the open period of the previous release.
      const key = sha256Hex("gina-key");
      const d1 = await store.debit({ clientId: "gina", keyHash: key, amountMicro: 100n, routeId: "r", method: "GET", ref: "new-gina-0" });
      expect(d1).toMatchObject({ kind: "applied", balanceMicro: 10_000n - 2200n });
      expect((await store.pool.query("SELECT usage_calls::int AS n FROM prepaid_accounts WHERE client_id = 'gina'")).rows[0].n).toBe(3);
      // A deposit in the IBC denom: its own balance, the primary untouched.
      const ibcDeposit = { clientId: "gina", txHash: txHash(), amountMicro: 900n, height: 5, sender: "neutaro1s", asset: IBC };
      expect(await store.creditDeposit(ibcDeposit)).toEqual({ kind: "applied", balanceMicro: 900n });
      // Priced 9,000 uneutaro (not covered) or 300 IBC: the IBC price is taken.
      const prices = [
        { ...PRIMARY, amountMicro: 9000n },
        { ...IBC, amountMicro: 300n },
      ];
      const d2 = await store.debit({
        clientId: "gina",
        keyHash: key,
        amountMicro: 9000n,
        prices,
        routeId: "r",
        method: "GET",
        ref: "new-gina-1",
      });
      expect(d2).toMatchObject({
        kind: "applied",
        balanceMicro: 600n,
        paid: { denom: IBC.denom, amountMicro: 300n },
        primaryBalanceMicro: 7800n,
      });
      expect(await store.getAccount("gina")).toMatchObject({
        balanceMicro: 7800n,
        balances: [{ network: IBC.network, denom: IBC.denom, balanceMicro: 600n }],
      });
      expect(await verifyLedger(store)).toMatchObject({ ok: true, accounts: 2 });
      // Refunds go back to the asset each debit took: a call of the previous release's period, and the IBC call.
      const window = 600_000;
      expect(await refundCharge(store.pool, { decisionId: "old-gina-1", status: 502, reason: "upstream_5xx", windowMs: window })).toEqual({
        kind: "refunded",
        charge: "prepaid",
        routeId: "r",
        amountMicro: 700n,
        clientId: "gina",
      });
      expect(
        await refundCharge(store.pool, { decisionId: "new-gina-1", status: 502, reason: "upstream_5xx", windowMs: window }),
      ).toMatchObject({ kind: "refunded", amountMicro: 300n, network: IBC.network, denom: IBC.denom });
      expect(await store.getAccount("gina")).toMatchObject({
        balanceMicro: 8500n,
        balances: [{ network: IBC.network, denom: IBC.denom, balanceMicro: 900n }],
      });
      // The chain: the old period closed before the IBC deposit (v2 hash); the IBC entries carry their denom (v3 hash).
      const chain = await store.pool.query<{ kind: string; denom: string | null; amount: string; after: string; calls: string | null }>(
        `SELECT kind, denom, amount_micro::text AS amount, balance_after_micro::text AS after, call_count::text AS calls
           FROM ledger_entries WHERE client_id = 'gina' ORDER BY seq`,
      );
      expect(chain.rows.map((r) => [r.kind, r.denom === null ? "primary" : "ibc", r.amount, r.after, r.calls])).toEqual([
        ["deposit", "primary", "10000", "10000", null],
        ["debit", "primary", "-700", "9300", null],
        ["usage", "primary", "-1500", "7800", "3"],
        ["deposit", "ibc", "900", "900", null],
        ["usage", "ibc", "-300", "600", "1"],
        ["refund", "primary", "700", "8500", null],
        ["refund", "ibc", "300", "900", null],
      ]);
      expect(await verifyLedger(store)).toMatchObject({ ok: true, accounts: 2 });
      const redemption = await store.findRedemption("inv-1");
      expect(redemption).toMatchObject({ usesLeft: 1 });
    } finally {
      await store.close();
    }
  }, 120_000);
});
