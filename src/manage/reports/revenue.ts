/**
 * Revenue in a time window, grouped by route, UTC day or offer kind (single, bundle, pass — from the
 * redemption's method and uses — and prepaid): prepaid debits (ledger entries of kind debit,
 * which carry their route id; calls in usage rollups from usage_events, and from usage_daily for days
 * retention dropped — those count by whole UTC day) plus paid invoices (redemptions.price_micro). Amounts in uneutaro:
 * prepaid calls paid in another asset (migration 0012) are not counted here.
 */
import type pg from "pg";
import { query } from "../../store/pool.js";
import { money } from "../http.js";

export interface RevenueQuery {
  /** inclusive, RFC 3339 */
  readonly from: string;
  /** exclusive, RFC 3339 */
  readonly to: string;
  readonly groupBy: "route" | "day" | "offer";
}

interface Row {
  key: string;
  prepaid_micro: string;
  invoice_micro: string;
  prepaid_count: string;
  invoice_count: string;
}

const SQL = `
WITH src AS (
  SELECT route_id, created_at, -amount_micro AS micro, 'prepaid' AS via, 'prepaid' AS offer, 1::bigint AS n
    FROM ledger_entries WHERE kind = 'debit' AND route_id IS NOT NULL AND denom IS NULL
     AND created_at >= $1::timestamptz AND created_at < $2::timestamptz
  UNION ALL
  SELECT route_id, created_at, amount_micro, 'prepaid', 'prepaid', 1
    FROM usage_events WHERE route_id IS NOT NULL AND denom IS NULL AND created_at >= $1::timestamptz AND created_at < $2::timestamptz
  UNION ALL
  -- days whose usage detail retention dropped, summed before the drop (whole UTC days)
  SELECT route_id, day::timestamp AT TIME ZONE 'UTC', amount_micro, 'prepaid', 'prepaid', calls
    FROM usage_daily WHERE route_id IS NOT NULL AND denom IS NULL
     AND day::timestamp AT TIME ZONE 'UTC' >= $1::timestamptz AND day::timestamp AT TIME ZONE 'UTC' < $2::timestamptz
  UNION ALL
  SELECT route_id, created_at, price_micro, 'invoice',
         CASE WHEN method = 'PASS' THEN 'pass' WHEN uses > 1 THEN 'bundle' ELSE 'single' END, 1
    FROM redemptions WHERE created_at >= $1::timestamptz AND created_at < $2::timestamptz
     AND route_id <> 'x402-facilitator' -- settled as facilitator for another payTo: not our revenue
)
SELECT CASE WHEN $3::text = 'day' THEN to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') WHEN $3::text = 'offer' THEN offer ELSE route_id END AS key,
       COALESCE(sum(micro) FILTER (WHERE via = 'prepaid'), 0)::text AS prepaid_micro,
       COALESCE(sum(micro) FILTER (WHERE via = 'invoice'), 0)::text AS invoice_micro,
       COALESCE(sum(n) FILTER (WHERE via = 'prepaid'), 0)::text AS prepaid_count,
       COALESCE(sum(n) FILTER (WHERE via = 'invoice'), 0)::text AS invoice_count
  FROM src GROUP BY 1 ORDER BY 1`;

/** Revenue rows and their total. @throws StoreUnavailableError */
export async function revenue(pool: pg.Pool, q: RevenueQuery) {
  const res = await query<Row>(pool, "revenue", SQL, [q.from, q.to, q.groupBy]);
  let total = 0n;
  const groups = res.rows.map((r) => {
    const prepaid = BigInt(r.prepaid_micro);
    const invoice = BigInt(r.invoice_micro);
    total += prepaid + invoice;
    return {
      [q.groupBy]: r.key,
      ...money("total", prepaid + invoice),
      ...money("prepaid", prepaid),
      ...money("invoices", invoice),
      prepaidRequests: Number(r.prepaid_count),
      invoicePayments: Number(r.invoice_count),
    };
  });
  return { from: q.from, to: q.to, groupBy: q.groupBy, currency: "NTMPI", denom: "uneutaro", ...money("total", total), groups };
}
