/**
 * The balance movement statement of the releases before migration 0011 (src/store/ledger.ts as the first
 * release shipped it), for tests that write a database "as the previous release did" before migrating it
 * forward. Current code moves money through ledger_move (0011), which those databases do not have yet.
 */
import type pg from "pg";
import type { Movement, MovementResult } from "../../src/store/ledger.js";

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

const DEBIT_SQL = movementSql("AND a.key_hash = $8::text AND a.status = 'active' AND a.balance_micro + $2::bigint >= 0");
const CREDIT_SQL = movementSql("AND a.balance_micro + $2::bigint >= 0");

const params = (m: Movement) => [m.clientId, m.amountMicro.toString(), m.ref, m.routeId, m.method, m.txHash, m.kind];

async function run(db: pg.Pool | pg.PoolClient, sql: string, values: unknown[]): Promise<MovementResult | null> {
  const row = (await db.query<{ entry_id: string; balance_micro: string }>(sql, values)).rows[0];
  return row ? { entryId: row.entry_id, balanceMicro: BigInt(row.balance_micro) } : null;
}

/** A guarded single debit as the previous releases wrote it (amountMicro < 0). */
export const legacyDebit = (db: pg.Pool | pg.PoolClient, m: Movement, keyHash: string) => run(db, DEBIT_SQL, [...params(m), keyHash]);

/** An unguarded movement (deposit, credit, refund) as the previous releases wrote it. */
export const legacyMovement = (db: pg.Pool | pg.PoolClient, m: Movement) => run(db, CREDIT_SQL, params(m));
