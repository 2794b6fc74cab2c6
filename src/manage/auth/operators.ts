/** The operators table (migrations/0004_management.sql): management API users. */
import type pg from "pg";
import { errorCode, UNIQUE_VIOLATION } from "../../store/errors.js";
import { query } from "../../store/pool.js";
import type { Role } from "./tokens.js";

export interface OperatorRecord {
  readonly username: string;
  readonly role: Role;
  readonly passwordHash: string;
  readonly createdAt: Date;
  readonly createdBy: string | null;
}

/**
 * - `created`: the operator row exists now
 * - `exists`: the username is taken
 * - `bootstrap_closed`: a bootstrap registration found an admin already (the first admin exists)
 */
export type CreateOutcome =
  | { readonly kind: "created"; readonly operator: OperatorRecord }
  | { readonly kind: "exists" }
  | { readonly kind: "bootstrap_closed" };

interface Row { username: string; role: Role; password_hash: string; created_at: Date; created_by: string | null }
const toRecord = (r: Row): OperatorRecord =>
  ({ username: r.username, role: r.role, passwordHash: r.password_hash, createdAt: r.created_at, createdBy: r.created_by });

/** Operator by username, or null. @throws StoreUnavailableError */
export async function findOperator(pool: pg.Pool, username: string): Promise<OperatorRecord | null> {
  const res = await query<Row>(pool, "findOperator",
    "SELECT username, role, password_hash, created_at, created_by FROM operators WHERE username = $1", [username]);
  return res.rows[0] ? toRecord(res.rows[0]) : null;
}

/**
 * Creates the first admin. One statement: it inserts only while no admin exists, and the partial unique
 * index on `bootstrap` refuses a second bootstrap admin even when two requests race past that check.
 * @throws StoreUnavailableError
 */
export async function createBootstrapAdmin(pool: pg.Pool, username: string, passwordHash: string): Promise<CreateOutcome> {
  try {
    const res = await query<Row>(pool, "createBootstrapAdmin",
      `INSERT INTO operators (username, password_hash, role, bootstrap, created_by)
       SELECT $1, $2, 'admin', true, 'bootstrap'
        WHERE NOT EXISTS (SELECT 1 FROM operators WHERE role = 'admin')
       RETURNING username, role, password_hash, created_at, created_by`, [username, passwordHash]);
    return res.rows[0] ? { kind: "created", operator: toRecord(res.rows[0]) } : { kind: "bootstrap_closed" };
  } catch (err) {
    if (errorCode(err) !== UNIQUE_VIOLATION) throw err;
    const constraint = (err as { constraint?: string }).constraint ?? "";
    return constraint === "operators_single_bootstrap" ? { kind: "bootstrap_closed" } : { kind: "exists" };
  }
}

/** Creates an operator on behalf of an admin. @throws StoreUnavailableError */
export async function createOperator(
  pool: pg.Pool, username: string, passwordHash: string, role: Role, createdBy: string,
): Promise<CreateOutcome> {
  try {
    const res = await query<Row>(pool, "createOperator",
      `INSERT INTO operators (username, password_hash, role, created_by) VALUES ($1, $2, $3, $4)
       RETURNING username, role, password_hash, created_at, created_by`, [username, passwordHash, role, createdBy]);
    return { kind: "created", operator: toRecord(res.rows[0] as Row) };
  } catch (err) {
    if (errorCode(err) === UNIQUE_VIOLATION) return { kind: "exists" };
    throw err;
  }
}
