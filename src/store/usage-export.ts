/**
 * Export of per-call usage detail (usage_events, migration 0010) before retention drops it: one
 * server-side cursor over [since, until) in (created_at, decision_id) order, written as NDJSON or CSV.
 * Amounts are uneutaro decimal strings (exact), times RFC 3339 UTC with milliseconds.
 */
import type pg from "pg";

export type UsageExportFormat = "ndjson" | "csv";

export interface UsageExportOptions {
  /** inclusive */
  readonly since: Date;
  /** exclusive (default: now) */
  readonly until?: Date;
  readonly format: UsageExportFormat;
  /** rows fetched per round trip (default 5000) */
  readonly fetchSize?: number;
}

interface Row {
  decision_id: string;
  client_id: string;
  route_id: string | null;
  method: string | null;
  amount_micro: string;
  ledger_seq: string;
  created_at: Date;
}

const CSV_HEADER = "decision_id,client_id,route_id,method,amount_micro,ledger_seq,created_at";

function csvField(v: string | null): string {
  if (v === null) return "";
  return /[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v;
}

function line(r: Row, format: UsageExportFormat): string {
  const createdAt = r.created_at.toISOString();
  if (format === "ndjson") {
    return JSON.stringify({
      decisionId: r.decision_id,
      clientId: r.client_id,
      routeId: r.route_id,
      method: r.method,
      amountMicro: r.amount_micro,
      ledgerSeq: r.ledger_seq,
      createdAt,
    });
  }
  return [r.decision_id, r.client_id, r.route_id, r.method, r.amount_micro, r.ledger_seq, createdAt].map(csvField).join(",");
}

async function write(out: NodeJS.WritableStream, s: string): Promise<void> {
  if (!out.write(s)) await new Promise<void>((resolve) => out.once("drain", () => resolve()));
}

/**
 * Writes the usage rows of [since, until) to `out`, one per line (CSV with a header line).
 * @returns rows written
 * @throws RangeError on an invalid time; pg errors when the database fails
 */
export async function exportUsage(pool: pg.Pool, out: NodeJS.WritableStream, opts: UsageExportOptions): Promise<number> {
  const until = opts.until ?? new Date();
  if (Number.isNaN(opts.since.getTime()) || Number.isNaN(until.getTime())) throw new RangeError("since/until must be valid times");
  const fetchSize = opts.fetchSize ?? 5000;
  const c = await pool.connect();
  let rows = 0;
  try {
    // A snapshot that a concurrent partition drop cannot change under the cursor.
    await c.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    await c.query(`DECLARE usage_export NO SCROLL CURSOR FOR
      SELECT decision_id, client_id, route_id, method, amount_micro::text, ledger_seq::text, created_at FROM usage_events
       WHERE created_at >= ${c.escapeLiteral(opts.since.toISOString())}::timestamptz
         AND created_at < ${c.escapeLiteral(until.toISOString())}::timestamptz
       ORDER BY created_at, decision_id`);
    if (opts.format === "csv") await write(out, CSV_HEADER + "\n");
    for (;;) {
      const res = await c.query<Row>(`FETCH ${fetchSize} FROM usage_export`);
      for (const r of res.rows) await write(out, line(r, opts.format) + "\n");
      rows += res.rows.length;
      if (res.rows.length < fetchSize) break;
    }
    await c.query("COMMIT");
    return rows;
  } catch (err) {
    await c.query("ROLLBACK").catch(() => undefined);
    throw err;
  } finally {
    c.release();
  }
}
