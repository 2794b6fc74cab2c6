/**
 * One balance movement = one SQL statement: the account row is updated (balance, ledger_seq,
 * ledger_head) and the ledger entry inserted from its RETURNING. The account row lock serializes
 * writers from every replica, so each account's hash chain never forks; the entry's hash and
 * created_at are computed once, in the UPDATE, and copied into the entry.
 */
import type pg from "pg";
import { query } from "./pool.js";

export type LedgerKind = "deposit" | "debit" | "credit" | "refund" | "adjustment" | "transfer_in" | "transfer_out";

export interface Movement {
  readonly clientId: string;
  readonly kind: LedgerKind;
  /** uneutaro, signed: + credits, − debits */
  readonly amountMicro: bigint;
  readonly ref: string | null;
  readonly routeId: string | null;
  readonly method: string | null;
  readonly txHash: string | null;
}

export interface MovementResult {
  /** ledger_entries.id as a decimal string */
  readonly entryId: string;
  /** uneutaro, balance after the movement */
  readonly balanceMicro: bigint;
}

// $1 client, $2 signed amount, $3 ref, $4 route, $5 method, $6 tx hash, $7 kind; guards add $8…
// created_at is truncated to milliseconds so a JS Date holds it exactly (the verifier rehashes it).
function movementSql(guard: string): string {
  return `
WITH moved AS (
  UPDATE prepaid_accounts a
     SET balance_micro = a.balance_micro + $2::bigint,
         ledger_seq = a.ledger_seq + 1,
         ledger_prev_head = a.ledger_head,
         ledger_head = ledger_entry_hash(a.ledger_head, a.client_id, a.ledger_seq + 1, $7::text, $2::bigint,
           a.balance_micro + $2::bigint, $3::text, $4::text, $5::text, $6::text, date_trunc('milliseconds', now())),
         updated_at = date_trunc('milliseconds', now())
   WHERE a.client_id = $1::text ${guard}
  RETURNING a.client_id, a.ledger_seq, a.balance_micro, a.ledger_prev_head, a.ledger_head, a.updated_at
), entry AS (
  INSERT INTO ledger_entries (client_id, seq, kind, amount_micro, balance_after_micro, ref, route_id, method,
                              tx_hash, created_at, prev_hash, hash)
  SELECT client_id, ledger_seq, $7::text, $2::bigint, balance_micro, $3::text, $4::text, $5::text,
         $6::text, updated_at, ledger_prev_head, ledger_head
    FROM moved
  RETURNING id, balance_after_micro
)
SELECT id::text AS entry_id, balance_after_micro::text AS balance_micro FROM entry`;
}

// A debit only moves an active account presenting the right key with enough balance: the check and
// the write are the same statement, so concurrent debits can never overdraw.
const DEBIT_SQL = movementSql(
  "AND a.key_hash = $8::text AND a.status = 'active' AND a.balance_micro + $2::bigint >= 0",
);
const CREDIT_SQL = movementSql("AND a.balance_micro + $2::bigint >= 0");

function params(m: Movement): unknown[] {
  return [m.clientId, m.amountMicro.toString(), m.ref, m.routeId, m.method, m.txHash, m.kind];
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
export async function applyDebit(
  db: pg.Pool | pg.PoolClient,
  m: Movement,
  keyHash: string,
): Promise<MovementResult | null> {
  const res = await query<{ entry_id: string; balance_micro: string }>(db, "debit", DEBIT_SQL, [...params(m), keyHash]);
  return toResult(res.rows);
}

/**
 * Applies an unguarded movement (deposits, credits, adjustments); a negative amount still never
 * overdraws. @returns the result, or null when the account does not exist (or would go negative).
 * @throws StoreUnavailableError
 */
export async function applyMovement(db: pg.Pool | pg.PoolClient, m: Movement): Promise<MovementResult | null> {
  const res = await query<{ entry_id: string; balance_micro: string }>(db, m.kind, CREDIT_SQL, params(m));
  return toResult(res.rows);
}
