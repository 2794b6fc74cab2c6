/**
 * The sweep of usage periods (migration 0011): closes every open period older than the rollup period
 * into its `usage` ledger entry. A period is also closed by its account's next debit batch after it
 * ended and before any other entry of that account, so the sweep only matters for accounts that went
 * quiet. Safe in every replica at once: usage_close_due locks the accounts it closes with
 * FOR UPDATE SKIP LOCKED, so two sweeps (or a sweep and a debit batch) never close one period twice,
 * and it re-checks under the lock that the period is still open and due.
 */
import type pg from "pg";
import { query } from "./pool.js";

/**
 * Longest rollup period in ms (the bound of GATEWAY_LEDGER_ROLLUP_MS): every call of a period lies
 * within this long before its usage entry's created_at (the time of its newest call).
 */
export const MAX_ROLLUP_MS = 3_600_000;

/** Most periods closed per transaction: each holds its accounts' row locks until it commits. */
const CLOSE_PER_STATEMENT = 500;

/**
 * Closes the periods opened at least `periodMs` ago (database clock).
 * @param periodMs the rollup period in ms (GATEWAY_LEDGER_ROLLUP_MS), ≥ 0
 * @returns how many periods this call closed
 * @throws RangeError when periodMs < 0; StoreUnavailableError
 */
export async function closeDueUsage(pool: pg.Pool, periodMs: number): Promise<number> {
  if (!Number.isInteger(periodMs) || periodMs < 0) throw new RangeError(`periodMs must be an integer ≥ 0, got ${periodMs}`);
  let total = 0;
  for (;;) {
    const res = await query<{ n: number }>(pool, "closeDueUsage", "SELECT usage_close_due($1::bigint, $2::integer) AS n", [
      periodMs,
      CLOSE_PER_STATEMENT,
    ]);
    const n = res.rows[0]!.n;
    total += n;
    // Fewer than a full statement's worth: the rest (if any) is locked by others, who close it themselves.
    if (n < CLOSE_PER_STATEMENT) return total;
  }
}
