/**
 * Invoice redemptions. One transaction: claim the tx hash in spent_txs (shared with deposits), then
 * insert the redemption or take one use from it with a conditional UPDATE. Unique keys on the tx hash
 * and the invoice id make concurrent requests carrying the same proof wait for each other, so exactly
 * `uses` of them are applied; any refusal rolls back the claim.
 */
import type pg from "pg";
import type { RedeemInput, RedeemOutcome, RedemptionRecord } from "../ports/store.js";
import { recordRedemptionUse } from "./charges.js";
import { query, transaction } from "./pool.js";

type Client = pg.PoolClient;

/** Claims the tx for this invoice; the refusal when it is already claimed for something else. */
async function claimTx(c: Client, r: RedeemInput): Promise<RedeemOutcome | null> {
  const claimed = await query(c, "redeem", 
    `INSERT INTO spent_txs (tx_hash, purpose, invoice_id) VALUES ($1, 'invoice', $2)
     ON CONFLICT (tx_hash) DO NOTHING`,
    [r.txHash, r.invoiceId],
  );
  if (claimed.rowCount === 1) return null;
  // A new statement sees the claim committed by whoever won the insert race.
  const res = await query<{ purpose: string; invoice_id: string | null }>(c, "redeem",
    "SELECT purpose, invoice_id FROM spent_txs WHERE tx_hash = $1",
    [r.txHash],
  );
  const row = res.rows[0];
  if (!row) throw new Error(`spent_txs claim for ${r.txHash} vanished`);
  if (row.purpose === "deposit") return { kind: "tx_is_deposit" };
  return row.invoice_id === r.invoiceId ? null : { kind: "tx_mismatch" };
}

async function insertRedemption(c: Client, r: RedeemInput): Promise<number | null> {
  const res = await query<{ uses_left: number }>(c, "redeem",
    `INSERT INTO redemptions (invoice_id, tx_hash, route_id, method, price_micro, paid_micro, payer, uses, uses_left)
     VALUES ($1, $2, $3, $4, $5::bigint, $6::bigint, $7, $8::int, $8::int - 1)
     ON CONFLICT DO NOTHING
     RETURNING uses_left`,
    [r.invoiceId, r.txHash, r.routeId, r.method, r.priceMicro.toString(), r.paidMicro.toString(), r.payer, r.uses],
  );
  return res.rows[0]?.uses_left ?? null;
}

async function takeUse(c: Client, r: RedeemInput): Promise<RedeemOutcome> {
  const res = await query<{ uses_left: number }>(c, "redeem",
    `UPDATE redemptions SET uses_left = uses_left - 1, updated_at = now()
      WHERE invoice_id = $1 AND tx_hash = $2 AND uses_left > 0
      RETURNING uses_left`,
    [r.invoiceId, r.txHash],
  );
  const row = res.rows[0];
  if (row) return { kind: "applied", usesLeft: row.uses_left };
  const existing = await query<{ tx_hash: string }>(c, "redeem", "SELECT tx_hash FROM redemptions WHERE invoice_id = $1", [
    r.invoiceId,
  ]);
  const txHash = existing.rows[0]?.tx_hash;
  return txHash !== undefined && txHash !== r.txHash ? { kind: "tx_mismatch" } : { kind: "used_up" };
}

/**
 * Records one use of a paid invoice; see StorePort.redeem.
 * @throws RangeError when uses < 1; StoreUnavailableError
 */
export async function redeem(pool: pg.Pool, r: RedeemInput): Promise<RedeemOutcome> {
  if (!Number.isInteger(r.uses) || r.uses < 1) throw new RangeError(`uses must be an integer ≥ 1, got ${r.uses}`);
  return transaction(pool, "redeem", async (c) => {
    const refused = await claimTx(c, r);
    if (refused) return { commit: false, value: refused };
    const usesLeft = await insertRedemption(c, r);
    const outcome: RedeemOutcome = usesLeft !== null ? { kind: "applied", usesLeft } : await takeUse(c, r);
    // The decision that spent the use, so an upstream failure can give it back (refunds.ts).
    if (outcome.kind === "applied" && r.decisionId) await recordRedemptionUse(c, r.decisionId, r.invoiceId);
    return { commit: outcome.kind === "applied", value: outcome };
  });
}

/** Redemption state of an invoice id, or null. @throws StoreUnavailableError */
export async function findRedemption(pool: pg.Pool, invoiceId: string): Promise<RedemptionRecord | null> {
  const res = await query<{ invoice_id: string; tx_hash: string; uses_left: number; created_at: Date; payer: string }>(
    pool,
    "findRedemption",
    "SELECT invoice_id, tx_hash, uses_left, created_at, payer FROM redemptions WHERE invoice_id = $1",
    [invoiceId],
  );
  const row = res.rows[0];
  return row ? { invoiceId: row.invoice_id, txHash: row.tx_hash, usesLeft: row.uses_left, redeemedAt: row.created_at, payer: row.payer } : null;
}
