/**
 * What each allowed request was charged, keyed by its ext_authz decision id, so a refund can find it:
 * prepaid debits already carry the decision id as ledger_entries.ref; invoice uses are recorded here.
 */
import type pg from "pg";
import { query } from "./pool.js";

/**
 * Records that `decisionId` spent one use of `invoiceId`, inside the redeem transaction (so a use and
 * its record commit together). A repeated decision id is ignored (ids are random UUIDs).
 * @throws StoreUnavailableError
 */
export async function recordRedemptionUse(c: pg.PoolClient, decisionId: string, invoiceId: string): Promise<void> {
  await query(c, "redeem", `INSERT INTO redemption_uses (decision_id, invoice_id) VALUES ($1, $2) ON CONFLICT (decision_id) DO NOTHING`, [
    decisionId,
    invoiceId,
  ]);
}
