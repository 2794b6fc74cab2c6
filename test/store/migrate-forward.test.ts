/**
 * Migration 0007 (batched, deadline-bound money writes) takes a database written by the previous
 * release forward: every balance, ledger chain and redemption stays as it was, and the new write
 * paths continue the old chains and redemptions.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAccount } from "../../src/store/accounts.js";
import { legacyDebit as applyDebit, legacyMovement as applyMovement } from "./legacy-ledger.js";
import { verifyLedger } from "../../src/store/ledger-verify.js";
import { migrate, migrationsDir, MIGRATIONS_TABLE } from "../../src/store/migrate.js";
import { createPgStore } from "../../src/store/pg-store.js";
import { emptyDatabase, type TestDatabase } from "../support/db.js";
import { closeAllPeriods, redeemInput, sha256Hex, txHash } from "./helpers.js";

/** Migrations of the release before batched writes. */
const PREVIOUS_RELEASE = 4; // 0001–0004: the first release

let db: TestDatabase;
beforeAll(async () => {
  db = await emptyDatabase();
});
afterAll(() => db?.drop());

async function snapshot(pool: pg.Pool) {
  const q = async (sql: string) => (await pool.query(sql)).rows;
  return {
    accounts: await q(
      "SELECT client_id, balance_micro::text, ledger_seq::text, ledger_head, ledger_prev_head FROM prepaid_accounts ORDER BY client_id",
    ),
    ledger: await q(
      "SELECT id::text, client_id, seq::text, kind, amount_micro::text, balance_after_micro::text, ref, hash, prev_hash FROM ledger_entries ORDER BY id",
    ),
    redemptions: await q("SELECT invoice_id, tx_hash, uses, uses_left FROM redemptions ORDER BY invoice_id"),
    spent: await q("SELECT tx_hash, purpose, invoice_id, client_id FROM spent_txs ORDER BY tx_hash"),
  };
}

describe("migration 0007 on a database of the previous release", () => {
  it("keeps every balance, chain and redemption, and the new write paths continue them", async () => {
    const { runner } = await import("node-pg-migrate");
    const silent = { info: () => {}, warn: () => {}, error: () => {} };
    await runner({
      databaseUrl: db.url,
      dir: migrationsDir(),
      migrationsTable: MIGRATIONS_TABLE,
      direction: "up",
      count: PREVIOUS_RELEASE,
      logger: silent,
    });

    // Written the way the previous release wrote: one statement per debit, a transaction per redemption.
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
        const moved = await applyDebit(
          old,
          { clientId, kind: "debit", amountMicro: -700n, ref: `old-${i}`, routeId: "r", method: "GET", txHash: null },
          sha256Hex(`${clientId}-key`),
        );
        expect(moved).not.toBeNull();
      }
    }
    const multi = redeemInput({ uses: 3 });
    const single = redeemInput();
    for (const [r, left] of [
      [multi, 2],
      [single, 0],
    ] as const) {
      await old.query("INSERT INTO spent_txs (tx_hash, purpose, invoice_id) VALUES ($1, 'invoice', $2)", [r.txHash, r.invoiceId]);
      await old.query(
        `INSERT INTO redemptions (invoice_id, tx_hash, route_id, method, price_micro, paid_micro, payer, uses, uses_left)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [r.invoiceId, r.txHash, r.routeId, r.method, r.priceMicro.toString(), r.paidMicro.toString(), r.payer, r.uses, left],
      );
    }
    const before = await snapshot(old);

    await migrate(db.url);
    expect(await snapshot(old)).toEqual(before);
    expect(await verifyLedger(old)).toEqual({ ok: true, accounts: 2, entries: 12 });

    const store = createPgStore({ databaseUrl: db.url, statementTimeoutMs: 30_000 });
    try {
      const debits = await Promise.all(
        clients.map((clientId) =>
          store.debit({ clientId, keyHash: sha256Hex(`${clientId}-key`), amountMicro: 500n, routeId: "r", method: "GET", ref: "new-0" }),
        ),
      );
      expect(debits.map((d) => d.kind === "applied" && d.balanceMicro)).toEqual([6000n, 6000n]);
      expect(await store.redeem(multi)).toEqual({ kind: "applied", usesLeft: 1 });
      expect(await store.redeem(single)).toEqual({ kind: "used_up" });
      expect(await store.redeem(redeemInput({ txHash: multi.txHash }))).toEqual({ kind: "tx_mismatch" });
      // The new debits sit in open usage periods (the default) until closed; the chains verify either way.
      expect(await verifyLedger(store)).toEqual({ ok: true, accounts: 2, entries: 12 });
      await closeAllPeriods(store.pool);
      expect(await verifyLedger(store)).toEqual({ ok: true, accounts: 2, entries: 14 });
    } finally {
      await store.close();
      await old.end();
    }
  });
});
