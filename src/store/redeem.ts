/**
 * Invoice redemptions: one statement, redeem_invoice (migration 0007), claims the tx hash in spent_txs
 * (shared with deposits), then inserts the redemption or takes one use from it with a conditional
 * UPDATE. Unique keys on the tx hash and the invoice id make concurrent requests carrying the same
 * proof wait for each other, so exactly `uses` of them are applied; a refusal removes its claim. Being
 * one statement, its commit cannot arrive separately from its deadline check.
 */
import type pg from "pg";
import type { RedeemInput, RedeemOutcome, RedemptionRecord } from "../ports/store.js";
import { query, queryWithin } from "./pool.js";

const REDEEM_SQL = `SELECT outcome, uses_left
  FROM redeem_invoice($1, $2, $3, $4, $5::bigint, $6::bigint, $7, $8::int, $9::timestamptz, $10)`;

/**
 * Records one use of a paid invoice; see StorePort.redeem.
 * @param deadlineAt unix ms: the answer is awaited until then (StoreUnavailableError after; the
 *   connection is discarded)
 * @param guardAt unix ms, ≤ deadlineAt: the statement writes nothing when it runs after this
 * @throws RangeError when uses < 1; StoreUnavailableError
 */
export async function redeem(pool: pg.Pool, r: RedeemInput, deadlineAt: number, guardAt: number): Promise<RedeemOutcome> {
  if (!Number.isInteger(r.uses) || r.uses < 1) throw new RangeError(`uses must be an integer ≥ 1, got ${r.uses}`);
  const res = await queryWithin<{ outcome: RedeemOutcome["kind"]; uses_left: number | null }>(pool, "redeem", deadlineAt, REDEEM_SQL, [
    r.invoiceId,
    r.txHash,
    r.routeId,
    r.method,
    r.priceMicro.toString(),
    r.paidMicro.toString(),
    r.payer,
    r.uses,
    new Date(guardAt).toISOString(),
    r.decisionId ?? null,
  ]);
  const row = res.rows[0];
  if (!row) throw new Error("redeem_invoice returned no row");
  return row.outcome === "applied" ? { kind: "applied", usesLeft: row.uses_left! } : { kind: row.outcome };
}

type RedemptionRow = { invoice_id: string; tx_hash: string; uses_left: number; created_at: Date; payer: string };
const FIND_SQL = "SELECT invoice_id, tx_hash, uses_left, created_at, payer FROM redemptions WHERE invoice_id = $1";

/**
 * Redemption state of an invoice id, or null.
 * @param deadlineAt unix ms; without it the pool's connect and statement timeouts bound the call
 * @throws StoreUnavailableError
 */
export async function findRedemption(pool: pg.Pool, invoiceId: string, deadlineAt?: number): Promise<RedemptionRecord | null> {
  const res =
    deadlineAt === undefined
      ? await query<RedemptionRow>(pool, "findRedemption", FIND_SQL, [invoiceId])
      : await queryWithin<RedemptionRow>(pool, "findRedemption", deadlineAt, FIND_SQL, [invoiceId]);
  const row = res.rows[0];
  return row
    ? { invoiceId: row.invoice_id, txHash: row.tx_hash, usesLeft: row.uses_left, redeemedAt: row.created_at, payer: row.payer }
    : null;
}
