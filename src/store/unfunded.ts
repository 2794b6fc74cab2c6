/** Removal of prepaid accounts that never received money (anonymous sign-ups that were never used). */
import type pg from "pg";
import { query } from "./pool.js";

/**
 * Deletes accounts created more than `olderThanSeconds` ago that have no ledger entry at all
 * (`ledger_seq = 0`: never credited, never debited) and a zero balance. One conditional DELETE: an
 * account credited concurrently has `ledger_seq > 0` when the row lock is released, so Postgres
 * re-checks the condition and keeps it.
 * @returns how many accounts were removed. @throws StoreUnavailableError
 */
export async function removeUnfundedAccounts(pool: pg.Pool, olderThanSeconds: number, limit = 10_000): Promise<number> {
  const res = await query(
    pool,
    "removeUnfundedAccounts",
    `DELETE FROM prepaid_accounts
      WHERE client_id IN (
        SELECT client_id FROM prepaid_accounts
         WHERE ledger_seq = 0 AND balance_micro = 0 AND created_at < now() - make_interval(secs => $1::double precision)
         LIMIT $2)
        AND ledger_seq = 0 AND balance_micro = 0`,
    [olderThanSeconds, limit],
  );
  return res.rowCount ?? 0;
}
