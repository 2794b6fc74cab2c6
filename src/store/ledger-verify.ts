/**
 * Ledger verifier: walks every account's hash chain in seq order, recomputes each hash in JS and
 * checks the chain against the account row (per asset, migration 0012: the chain's balance minus the
 * account's open usage period, migration 0011, is the stored balance). Runs in one REPEATABLE READ snapshot, so it is exact while
 * debits continue.
 */
import pg from "pg";
import { ledgerAssetHash, ledgerEntryHash, ledgerGenesisHash, ledgerUsageHash } from "./ledger-hash.js";
import type { PgStore } from "./pg-store.js";
import { transaction } from "./pool.js";
import { MAX_ROLLUP_MS } from "./usage-periods.js";

export type LedgerProblem = "hash_mismatch" | "seq_gap" | "head_mismatch" | "balance_mismatch" | "usage_mismatch";

export type LedgerVerification =
  | { readonly ok: true; readonly accounts: number; readonly entries: number }
  | { readonly ok: false; readonly clientId: string; readonly seq: bigint; readonly problem: LedgerProblem };

type Failure = Extract<LedgerVerification, { ok: false }>;

interface AccountRow {
  client_id: string;
  balance_micro: string;
  ledger_seq: string;
  ledger_head: string;
  /** debited by the open usage period in its asset, not in the chain yet ("0": none open) */
  open_micro: string;
  /** asset key of the open period ("" primary; see assetKeyOf) */
  open_asset: string;
  /** balances in other assets (migration 0012): asset key → smallest units, as text */
  balances: Record<string, string> | null;
}

interface EntryRow {
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
  network: string | null;
  denom: string | null;
}

/** Key of an entry's asset in a walk: "" for the primary asset, else "<network>|<denom>". */
function assetKeyOf(network: string | null, denom: string | null): string {
  return denom === null ? "" : `${network}|${denom}`;
}

// Output columns are cast to text (bigint stays exact in JS), so ORDER BY must name the table column.
const PAGE = 1000;

/** State of one account's walk: what the next entry must chain onto, and the running balance per asset. */
interface Walk {
  seq: bigint;
  head: string;
  balances: Map<string, bigint>;
}

function checkEntry(clientId: string, w: Walk, e: EntryRow): Failure | null {
  const seq = BigInt(e.seq);
  const fail = (problem: Failure["problem"]): Failure => ({ ok: false, clientId, seq, problem });
  if (seq !== w.seq + 1n) return { ok: false, clientId, seq: w.seq + 1n, problem: "seq_gap" };
  const amountMicro = BigInt(e.amount_micro);
  const balanceAfterMicro = BigInt(e.balance_after_micro);
  // Entries of another asset (0012) carry the v3 hash; primary `usage` rollups (0010) the v2 hash; the rest v1.
  const recomputed =
    e.denom !== null
      ? ledgerAssetHash(w.head, {
          clientId,
          seq,
          kind: e.kind,
          amountMicro,
          balanceAfterMicro,
          ref: e.ref,
          routeId: e.route_id,
          method: e.method,
          txHash: e.tx_hash,
          createdAt: e.created_at,
          callCount: e.call_count === null ? null : BigInt(e.call_count),
          firstRef: e.first_ref,
          lastRef: e.last_ref,
          network: e.network ?? "",
          denom: e.denom,
        })
      : e.kind === "usage"
        ? ledgerUsageHash(w.head, {
            clientId,
            seq,
            amountMicro,
            balanceAfterMicro,
            callCount: BigInt(e.call_count ?? "0"),
            firstRef: e.first_ref ?? "",
            lastRef: e.last_ref ?? "",
            createdAt: e.created_at,
          })
        : ledgerEntryHash(w.head, {
            clientId,
            seq,
            kind: e.kind,
            amountMicro,
            balanceAfterMicro,
            ref: e.ref,
            routeId: e.route_id,
            method: e.method,
            txHash: e.tx_hash,
            createdAt: e.created_at,
          });
  if (e.prev_hash !== w.head || e.hash !== recomputed) return fail("hash_mismatch");
  const key = assetKeyOf(e.network, e.denom);
  const balanceMicro = (w.balances.get(key) ?? 0n) + amountMicro;
  if (balanceAfterMicro !== balanceMicro || balanceMicro < 0n) return fail("balance_mismatch");
  w.seq = seq;
  w.head = e.hash;
  w.balances.set(key, balanceMicro);
  return null;
}

async function walkAccount(c: pg.PoolClient, a: AccountRow): Promise<Failure | number> {
  const w: Walk = { seq: 0n, head: ledgerGenesisHash(a.client_id), balances: new Map() };
  for (;;) {
    const res = await c.query<EntryRow>(
      `SELECT seq::text, kind, amount_micro::text, balance_after_micro::text, ref, route_id, method, tx_hash,
              created_at, prev_hash, hash, call_count::text, first_ref, last_ref, network, denom
         FROM ledger_entries WHERE client_id = $1 AND seq > $2::bigint ORDER BY ledger_entries.seq LIMIT ${PAGE}`,
      [a.client_id, w.seq.toString()],
    );
    for (const e of res.rows) {
      const failure = checkEntry(a.client_id, w, e);
      if (failure) return failure;
    }
    if (res.rows.length < PAGE) break;
  }
  if (w.seq !== BigInt(a.ledger_seq) || w.head !== a.ledger_head) {
    return { ok: false, clientId: a.client_id, seq: BigInt(a.ledger_seq), problem: "head_mismatch" };
  }
  // Per asset: the chain's balance minus the open period (if of that asset) is the stored balance.
  const stored = new Map<string, bigint>([["", BigInt(a.balance_micro)]]);
  for (const [key, v] of Object.entries(a.balances ?? {})) stored.set(key, BigInt(v));
  for (const key of new Set([...stored.keys(), ...w.balances.keys()])) {
    const open = key === a.open_asset ? BigInt(a.open_micro) : 0n;
    if ((w.balances.get(key) ?? 0n) - open !== (stored.get(key) ?? 0n)) {
      return { ok: false, clientId: a.client_id, seq: w.seq, problem: "balance_mismatch" };
    }
  }
  return Number(w.seq);
}

// The first rollup that disagrees with the retained detail, or detail that no rollup holds: count,
// total, and the first/last decision id must be rows of that rollup. Checked: open periods (migration
// 0011; their detail names seq = ledger_seq + 1) and closed rollups whose every call is younger than
// what retention dropped (usage_retention.dropped_before): a rollup's calls lie within MAX_ROLLUP_MS
// before its created_at. Older rollups have (part of) their detail dropped and are checked by the chain alone.
const USAGE_MISMATCH_SQL = `
WITH r AS (SELECT dropped_before FROM usage_retention), e AS (
  SELECT client_id, seq, call_count, -amount_micro AS total, first_ref, last_ref FROM ledger_entries
   WHERE kind = 'usage' AND created_at >= (SELECT dropped_before FROM r) + ${MAX_ROLLUP_MS} * interval '1 millisecond'
  UNION ALL
  SELECT client_id, ledger_seq + 1, usage_calls, usage_total_micro, usage_first_ref, usage_last_ref FROM prepaid_accounts
   WHERE usage_entry_id IS NOT NULL AND usage_open_at >= (SELECT dropped_before FROM r)
), d AS (
  SELECT client_id, ledger_seq, count(*) AS n, sum(amount_micro) AS total FROM usage_events GROUP BY client_id, ledger_seq
)
SELECT e.client_id, e.seq::text AS seq
  FROM e LEFT JOIN d ON d.client_id = e.client_id AND d.ledger_seq = e.seq
 WHERE d.client_id IS NULL OR d.n <> e.call_count OR d.total <> e.total
    OR NOT EXISTS (SELECT 1 FROM usage_events u WHERE u.decision_id = e.first_ref AND u.client_id = e.client_id AND u.ledger_seq = e.seq)
    OR NOT EXISTS (SELECT 1 FROM usage_events u WHERE u.decision_id = e.last_ref AND u.client_id = e.client_id AND u.ledger_seq = e.seq)
UNION ALL
SELECT d.client_id, d.ledger_seq::text FROM d
 WHERE NOT EXISTS (SELECT 1 FROM ledger_entries l WHERE l.client_id = d.client_id AND l.seq = d.ledger_seq AND l.kind = 'usage')
   AND NOT EXISTS (SELECT 1 FROM prepaid_accounts a
                    WHERE a.client_id = d.client_id AND a.usage_entry_id IS NOT NULL AND a.ledger_seq + 1 = d.ledger_seq)
 ORDER BY 1, 2 LIMIT 1`;

async function checkUsage(c: pg.PoolClient): Promise<Failure | null> {
  const res = await c.query<{ client_id: string; seq: string }>(USAGE_MISMATCH_SQL);
  const row = res.rows[0];
  return row ? { ok: false, clientId: row.client_id, seq: BigInt(row.seq), problem: "usage_mismatch" } : null;
}

async function walkAll(c: pg.PoolClient): Promise<LedgerVerification> {
  let accounts = 0;
  let entries = 0;
  let after = "";
  for (;;) {
    const res = await c.query<AccountRow>(
      `SELECT client_id, balance_micro::text, ledger_seq::text, ledger_head, coalesce(usage_total_micro, 0)::text AS open_micro,
              CASE WHEN usage_denom IS NULL THEN '' ELSE usage_network || '|' || usage_denom END AS open_asset,
              (SELECT json_object_agg(b.network || '|' || b.denom, b.balance_micro::text) FROM prepaid_balances b
                WHERE b.client_id = a.client_id) AS balances
         FROM prepaid_accounts a WHERE client_id > $1 ORDER BY client_id LIMIT ${PAGE}`,
      [after],
    );
    for (const a of res.rows) {
      const walked = await walkAccount(c, a);
      if (typeof walked !== "number") return walked;
      accounts += 1;
      entries += walked;
      after = a.client_id;
    }
    if (res.rows.length < PAGE) return (await checkUsage(c)) ?? { ok: true, accounts, entries };
  }
}

/**
 * Verifies every account's ledger: hashes (hash_mismatch), consecutive seqs from 1 (seq_gap), the
 * account's ledger_seq/ledger_head against the newest entry (head_mismatch — catches a deleted newest
 * entry), running balance_after and the account balance (plus its open usage period) against the sum of
 * amounts (balance_mismatch), and `usage` rollups and open periods against their retained per-call
 * detail in usage_events (usage_mismatch).
 * Stops at the first problem.
 * @throws StoreUnavailableError
 */
export async function verifyLedger(source: pg.Pool | PgStore): Promise<LedgerVerification> {
  const pool = source instanceof pg.Pool ? source : source.pool;
  return transaction(pool, "verifyLedger", async (c) => {
    await c.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
    return { commit: false, value: await walkAll(c) };
  });
}
