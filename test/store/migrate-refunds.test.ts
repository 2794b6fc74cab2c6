/**
 * Migration 0006 (refunds) on a database that already holds redemptions and ledger entries written
 * under 0001–0004: old rows stay valid and usable, and old charges become refundable only where they
 * carry a decision id (prepaid debits always did; invoice uses from now on).
 */
import { randomUUID } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { runner } from "node-pg-migrate";
import { createAccount } from "../../src/store/accounts.js";
import { legacyDebit as applyDebit, legacyMovement as applyMovement } from "./legacy-ledger.js";
import { verifyLedger } from "../../src/store/ledger-verify.js";
import { migrate, migrationsDir, MIGRATIONS_TABLE } from "../../src/store/migrate.js";
import { createPgStore, type PgStore } from "../../src/store/pg-store.js";
import { refundCharge } from "../../src/store/refunds.js";
import { emptyDatabase, type TestDatabase } from "../support/db.js";
import { redeemInput, sha256Hex } from "./helpers.js";

const silent = { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} };
let db: TestDatabase | undefined;
let store: PgStore | undefined;
afterAll(async () => {
  await store?.close();
  await db?.drop();
});

describe("migration 0006_refunds", () => {
  it("keeps redemptions, debits and operator refunds written before it valid, and makes new uses refundable", async () => {
    db = await emptyDatabase();
    await runner({
      databaseUrl: db.url,
      dir: migrationsDir(),
      migrationsTable: MIGRATIONS_TABLE,
      direction: "up",
      count: 4,
      logger: silent,
      singleTransaction: true,
    });
    store = createPgStore({ databaseUrl: db.url, statementTimeoutMs: 10_000, connectTimeoutMs: 30_000 });
    const pool = store.pool;
    // Before 0005–0006: a 2-use redemption with one use taken, a debit with its decision id, an operator refund.
    // Written as the first release's code wrote them (its redeem was plain SQL on these two tables).
    const old = redeemInput({ uses: 2 });
    await pool.query("INSERT INTO spent_txs (tx_hash, purpose, invoice_id) VALUES ($1, 'invoice', $2)", [old.txHash, old.invoiceId]);
    await pool.query(
      `INSERT INTO redemptions (invoice_id, tx_hash, route_id, method, price_micro, paid_micro, payer, uses, uses_left)
       VALUES ($1, $2, $3, $4, $5, $6, $7, 2, 1)`,
      [old.invoiceId, old.txHash, old.routeId, old.method, old.priceMicro.toString(), old.paidMicro.toString(), old.payer],
    );
    await createAccount(pool, { clientId: "c-old", keyHash: sha256Hex("k"), depositMemo: "m-old" });
    const base = { clientId: "c-old", routeId: "r", method: "GET", txHash: null };
    await applyMovement(pool, { ...base, kind: "credit", amountMicro: 1000n, ref: "manage:1" });
    await applyMovement(pool, { ...base, kind: "refund", amountMicro: 5n, ref: "manage:2" });
    const oldDebit = randomUUID();
    expect(await applyDebit(pool, { ...base, kind: "debit", amountMicro: -300n, ref: oldDebit }, sha256Hex("k"))).not.toBeNull();

    await migrate(db.url);

    expect(await store.findRedemption(old.invoiceId)).toMatchObject({ txHash: old.txHash, usesLeft: 1 });
    expect(await verifyLedger(store)).toMatchObject({ ok: true });
    // The old use carries no decision id: nothing to refund for it. The next use does.
    const next = randomUUID();
    expect(await store.redeem({ ...old, decisionId: next })).toEqual({ kind: "applied", usesLeft: 0 });
    expect(await refundCharge(pool, { decisionId: next, status: 500, reason: "upstream_5xx", windowMs: 60_000 })).toMatchObject({
      kind: "refunded",
      charge: "invoice",
    });
    expect(await store.findRedemption(old.invoiceId)).toMatchObject({ usesLeft: 1 });
    // A debit from before the migration already carried its decision id.
    expect(await refundCharge(pool, { decisionId: oldDebit, status: 503, reason: "upstream_5xx", windowMs: 60_000 })).toMatchObject({
      kind: "refunded",
      amountMicro: 300n,
    });
    expect((await store.getAccount("c-old"))!.balanceMicro).toBe(1005n);
    expect(await verifyLedger(store)).toMatchObject({ ok: true });
  });
});
