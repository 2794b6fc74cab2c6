/** Reading ledger_entries for the management API (newest first, keyset-paged by id). */
import type pg from "pg";
import { query } from "../../store/pool.js";
import { money } from "../http.js";

interface EntryRow {
  id: string;
  client_id: string;
  seq: string;
  kind: string;
  amount_micro: string;
  balance_after_micro: string;
  ref: string | null;
  route_id: string | null;
  method: string | null;
  tx_hash: string | null;
  created_at: Date;
  prev_hash: string;
  hash: string;
  call_count: string | null;
  first_ref: string | null;
  last_ref: string | null;
}

/** One ledger entry as JSON: amounts as decimal NTMPI + uneutaro strings, ids as strings. */
export type EntryJson = ReturnType<typeof toEntryJson>;

function toEntryJson(r: EntryRow) {
  return {
    id: r.id,
    clientId: r.client_id,
    seq: r.seq,
    kind: r.kind,
    ...money("amount", BigInt(r.amount_micro)),
    ...money("balanceAfter", BigInt(r.balance_after_micro)),
    ref: r.ref,
    routeId: r.route_id,
    method: r.method,
    txHash: r.tx_hash,
    createdAt: r.created_at.toISOString(),
    prevHash: r.prev_hash,
    hash: r.hash,
    // `usage` rollups (migration 0010): how many calls, first and last decision id (arrival order)
    ...(r.kind === "usage" ? { callCount: r.call_count, firstRef: r.first_ref, lastRef: r.last_ref } : {}),
  };
}

export interface EntryFilter {
  readonly clientId?: string;
  /** only entries with id < beforeId (the cursor) */
  readonly beforeId?: string;
  /** rows to fetch (the caller asks one more than it shows to know whether a next page exists) */
  readonly limit: number;
}

/** Ledger entries newest first. @throws StoreUnavailableError */
export async function listEntries(pool: pg.Pool, f: EntryFilter): Promise<EntryJson[]> {
  const res = await query<EntryRow>(
    pool,
    "listEntries",
    `SELECT id::text, client_id, seq::text, kind, amount_micro::text, balance_after_micro::text, ref, route_id, method,
            tx_hash, created_at, prev_hash, hash, call_count::text, first_ref, last_ref
       FROM ledger_entries
      WHERE ($1::text IS NULL OR client_id = $1) AND ($2::bigint IS NULL OR id < $2::bigint)
      ORDER BY ledger_entries.id DESC LIMIT $3`,
    [f.clientId ?? null, f.beforeId ?? null, f.limit],
  );
  return res.rows.map(toEntryJson);
}
