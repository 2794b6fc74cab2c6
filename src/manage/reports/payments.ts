/**
 * Payments received, newest first. When the payment watcher's `payments` table exists (migration 0003,
 * built separately) its rows are listed as they are; otherwise the payments gate402 has recorded
 * itself: invoice redemptions and prepaid deposits (spent_txs with purpose deposit).
 */
import type pg from "pg";
import { query } from "../../store/pool.js";
import { money } from "../http.js";

/** Keyset position: created_at as Postgres prints it (microseconds kept) and the tx hash. */
export interface PaymentCursor {
  readonly t: string;
  readonly h: string;
}

export interface PaymentPage {
  readonly source: "payments" | "redemptions+deposits";
  readonly rows: Record<string, unknown>[];
  /** sort key of each row, for the next cursor */
  readonly keys: PaymentCursor[];
}

const RECORDED_SQL = `
SELECT * FROM (
  SELECT 'invoice' AS kind, r.tx_hash, r.invoice_id, NULL::text AS client_id, r.route_id, r.method,
         r.paid_micro::text AS amount_micro, r.price_micro::text AS price_micro, r.payer AS sender,
         s.height::text AS height, r.uses, r.uses_left, r.created_at, r.created_at::text AS created_key
    FROM redemptions r JOIN spent_txs s ON s.tx_hash = r.tx_hash
   WHERE r.route_id <> 'x402-facilitator' -- settled as facilitator for another payTo
  UNION ALL
  SELECT 'deposit', s.tx_hash, NULL, s.client_id, NULL, NULL,
         (SELECT sum(e.amount_micro) FROM ledger_entries e WHERE e.tx_hash = s.tx_hash AND e.kind = 'deposit')::text,
         NULL, s.sender, s.height::text, NULL, NULL, s.created_at, s.created_at::text
    FROM spent_txs s WHERE s.purpose = 'deposit'
) p
WHERE ($1::text IS NULL OR (p.created_at, p.tx_hash) < ($1::timestamptz, $2::text))
ORDER BY p.created_at DESC, p.tx_hash DESC LIMIT $3`;

interface RecordedRow {
  kind: string;
  tx_hash: string;
  invoice_id: string | null;
  client_id: string | null;
  route_id: string | null;
  method: string | null;
  amount_micro: string | null;
  price_micro: string | null;
  sender: string | null;
  height: string | null;
  uses: number | null;
  uses_left: number | null;
  created_at: Date;
  created_key: string;
}

function recordedJson(r: RecordedRow): Record<string, unknown> {
  return {
    kind: r.kind,
    txHash: r.tx_hash,
    invoiceId: r.invoice_id,
    clientId: r.client_id,
    routeId: r.route_id,
    method: r.method,
    ...money("amount", BigInt(r.amount_micro ?? "0")),
    ...(r.price_micro === null ? {} : money("price", BigInt(r.price_micro))),
    sender: r.sender,
    height: r.height,
    uses: r.uses,
    usesLeft: r.uses_left,
    createdAt: r.created_at.toISOString(),
  };
}

/** Whether the watcher's payments table exists in this database. */
async function hasPaymentsTable(pool: pg.Pool): Promise<boolean> {
  const res = await query<{ t: string | null }>(pool, "listPayments", "SELECT to_regclass('payments')::text AS t");
  return res.rows[0]?.t != null;
}

// The watcher's schema is not ours: rows go out as text values (bigints stay exact), ordered by
// created_at when the table has it, with a tx_hash/id tie-break only when those columns exist.
async function watcherPage(pool: pg.Pool, after: PaymentCursor | undefined, limit: number): Promise<PaymentPage> {
  const cols = await query<{ column_name: string }>(
    pool,
    "listPayments",
    "SELECT column_name FROM information_schema.columns WHERE table_name = 'payments' AND table_schema = current_schema()",
  );
  const names = new Set(cols.rows.map((c) => c.column_name));
  const tie = names.has("tx_hash") ? "tx_hash" : names.has("id") ? "id::text" : "ctid::text";
  const time = names.has("created_at") ? "created_at" : "'epoch'::timestamptz";
  const res = await query<{ row: Record<string, string | null>; created_key: string; tie_key: string }>(
    pool,
    "listPayments",
    `SELECT (SELECT jsonb_object_agg(key, value) FROM jsonb_each_text(to_jsonb(p))) AS row,
            ${time}::text AS created_key, ${tie} AS tie_key
       FROM payments p
      WHERE ($1::text IS NULL OR (${time}, ${tie}) < ($1::timestamptz, $2::text))
      ORDER BY ${time} DESC, ${tie} DESC LIMIT $3`,
    [after?.t ?? null, after?.h ?? null, limit],
  );
  return { source: "payments", rows: res.rows.map((r) => r.row), keys: res.rows.map((r) => ({ t: r.created_key, h: r.tie_key })) };
}

/**
 * One page of payments (fetches `limit` rows; ask one more to detect a next page).
 * @throws StoreUnavailableError
 */
export async function listPayments(pool: pg.Pool, after: PaymentCursor | undefined, limit: number): Promise<PaymentPage> {
  if (await hasPaymentsTable(pool)) return watcherPage(pool, after, limit);
  const res = await query<RecordedRow>(pool, "listPayments", RECORDED_SQL, [after?.t ?? null, after?.h ?? null, limit]);
  return {
    source: "redemptions+deposits",
    rows: res.rows.map(recordedJson),
    keys: res.rows.map((r) => ({ t: r.created_key, h: r.tx_hash })),
  };
}
