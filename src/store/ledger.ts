/**
 * One balance movement = one call of ledger_move_asset (migrations 0011, 0012): under the account row lock it closes
 * the account's open usage period into its `usage` entry (so the chain's balance arithmetic stays in
 * order), then updates the account (balance, ledger_seq, ledger_head) and appends the hash-chained entry.
 * The row lock serializes writers from every replica, so each account's hash chain never forks.
 */
import type pg from "pg";
import type { BalanceAsset } from "../ports/store.js";
import { query } from "./pool.js";

/** An asset as the ledger stores it: null for the primary asset (network/denom NULL, migration 0012). */
export type StoredAsset = { readonly network: string; readonly denom: string } | null;

/** The stored form of `a` (absent or primary: null). */
export function storedAsset(a: BalanceAsset | undefined): StoredAsset {
  return a && !a.primary ? { network: a.network, denom: a.denom } : null;
}

export type LedgerKind = "deposit" | "debit" | "credit" | "refund" | "adjustment" | "transfer_in" | "transfer_out";

export interface Movement {
  readonly clientId: string;
  readonly kind: LedgerKind;
  /** smallest unit of the asset (uneutaro for the primary), signed: + credits, − debits */
  readonly amountMicro: bigint;
  readonly ref: string | null;
  readonly routeId: string | null;
  readonly method: string | null;
  readonly txHash: string | null;
  /** the asset moved; absent or null: the primary asset (uneutaro) */
  readonly asset?: StoredAsset;
}

export interface MovementResult {
  /** ledger_entries.id as a decimal string */
  readonly entryId: string;
  /** balance after the movement, in the movement's asset */
  readonly balanceMicro: bigint;
}

// $1 client, $2 kind, $3 signed amount, $4 ref, $5 route, $6 method, $7 tx hash, $8 key hash (NULL: unguarded),
// $9/$10 network/denom (NULL: the primary asset).
// A guarded debit only moves an active account presenting the right key with enough balance: the check
// and the write are one statement under the row lock, so concurrent debits can never overdraw.
const MOVE_SQL = `SELECT entry_id::text AS entry_id, balance_micro::text AS balance_micro
  FROM ledger_move_asset($1::text, $9::text, $10::text, $2::text, $3::bigint, $4::text, $5::text, $6::text, $7::text, $8::text)`;

function params(m: Movement, keyHash: string | null): unknown[] {
  return [
    m.clientId,
    m.kind,
    m.amountMicro.toString(),
    m.ref,
    m.routeId,
    m.method,
    m.txHash,
    keyHash,
    m.asset?.network ?? null,
    m.asset?.denom ?? null,
  ];
}

function toResult(rows: readonly { entry_id: string; balance_micro: string }[]): MovementResult | null {
  const row = rows[0];
  return row ? { entryId: row.entry_id, balanceMicro: BigInt(row.balance_micro) } : null;
}

/**
 * Applies one guarded debit (amountMicro < 0) in its own statement and commit: how releases before
 * group commit (migration 0007, debit-batcher.ts) wrote every debit; kept for tools and tests. @returns the result, or null when the guard matched no
 * row (unknown client, wrong key, suspended, or not enough balance) and nothing was written.
 * @throws StoreUnavailableError
 */
export async function applyDebit(db: pg.Pool | pg.PoolClient, m: Movement, keyHash: string): Promise<MovementResult | null> {
  const res = await query<{ entry_id: string; balance_micro: string }>(db, "debit", MOVE_SQL, params(m, keyHash));
  return toResult(res.rows);
}

/**
 * Applies an unguarded movement (deposits, credits, adjustments); a negative amount still never
 * overdraws. @returns the result, or null when the account does not exist (or would go negative).
 * @throws StoreUnavailableError
 */
export async function applyMovement(db: pg.Pool | pg.PoolClient, m: Movement): Promise<MovementResult | null> {
  const res = await query<{ entry_id: string; balance_micro: string }>(db, m.kind, MOVE_SQL, params(m, null));
  return toResult(res.rows);
}
