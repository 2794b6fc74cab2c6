/** The operators table (migrations/0004_management.sql, 0008: disabled_at): management API users. */
import type pg from "pg";
import { errorCode, toStoreError, UNIQUE_VIOLATION } from "../../store/errors.js";
import { query } from "../../store/pool.js";
import type { Role } from "./tokens.js";

export interface OperatorRecord {
  readonly username: string;
  readonly role: Role;
  readonly passwordHash: string;
  readonly createdAt: Date;
  readonly createdBy: string | null;
  /** null: enabled */
  readonly disabledAt: Date | null;
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

interface Row {
  username: string;
  role: Role;
  password_hash: string;
  created_at: Date;
  created_by: string | null;
  disabled_at: Date | null;
}
const toRecord = (r: Row): OperatorRecord => ({
  username: r.username,
  role: r.role,
  passwordHash: r.password_hash,
  createdAt: r.created_at,
  createdBy: r.created_by,
  disabledAt: r.disabled_at,
});
const COLUMNS = "username, role, password_hash, created_at, created_by, disabled_at";

/** Operator by username, or null. @throws StoreUnavailableError */
export async function findOperator(pool: pg.Pool, username: string): Promise<OperatorRecord | null> {
  const res = await query<Row>(pool, "findOperator", `SELECT ${COLUMNS} FROM operators WHERE username = $1`, [username]);
  return res.rows[0] ? toRecord(res.rows[0]) : null;
}

/**
 * Creates the first admin. One statement: it inserts only while no admin exists, and the partial unique
 * index on `bootstrap` refuses a second bootstrap admin even when two requests race past that check.
 * @throws StoreUnavailableError
 */
export async function createBootstrapAdmin(pool: pg.Pool, username: string, passwordHash: string): Promise<CreateOutcome> {
  try {
    const res = await query<Row>(
      pool,
      "createBootstrapAdmin",
      `INSERT INTO operators (username, password_hash, role, bootstrap, created_by)
       SELECT $1, $2, 'admin', true, 'bootstrap'
        WHERE NOT EXISTS (SELECT 1 FROM operators WHERE role = 'admin')
       RETURNING ${COLUMNS}`,
      [username, passwordHash],
    );
    return res.rows[0] ? { kind: "created", operator: toRecord(res.rows[0]) } : { kind: "bootstrap_closed" };
  } catch (err) {
    if (errorCode(err) !== UNIQUE_VIOLATION) throw err;
    const constraint = (err as { constraint?: string }).constraint ?? "";
    return constraint === "operators_single_bootstrap" ? { kind: "bootstrap_closed" } : { kind: "exists" };
  }
}

/** Creates an operator on behalf of an admin. @throws StoreUnavailableError */
export async function createOperator(
  pool: pg.Pool,
  username: string,
  passwordHash: string,
  role: Role,
  createdBy: string,
): Promise<CreateOutcome> {
  try {
    const res = await query<Row>(
      pool,
      "createOperator",
      `INSERT INTO operators (username, password_hash, role, created_by) VALUES ($1, $2, $3, $4)
       RETURNING ${COLUMNS}`,
      [username, passwordHash, role, createdBy],
    );
    return { kind: "created", operator: toRecord(res.rows[0] as Row) };
  } catch (err) {
    if (errorCode(err) === UNIQUE_VIOLATION) return { kind: "exists" };
    throw err;
  }
}

/** Every operator, by username. @throws StoreUnavailableError */
export async function listOperators(pool: pg.Pool): Promise<OperatorRecord[]> {
  const res = await query<Row>(pool, "listOperators", `SELECT ${COLUMNS} FROM operators ORDER BY username`);
  return res.rows.map(toRecord);
}

/**
 * - `done`: the operator is now disabled / enabled / deleted
 * - `not_found`: no such operator
 * - `last_admin`: refused, it would leave no enabled admin to manage the gateway
 */
export type ChangeOutcome =
  | { readonly kind: "done"; readonly operator: OperatorRecord }
  | { readonly kind: "not_found" }
  | { readonly kind: "last_admin" };

/**
 * Disables (`disabled` true) or enables an operator, or deletes it (`disabled` "delete"). Removing the
 * last enabled admin is refused: the enabled admins are locked first (FOR UPDATE), so two admins
 * disabling each other at once cannot both succeed.
 * @throws StoreUnavailableError
 */
export async function changeOperator(pool: pg.Pool, username: string, change: "disable" | "enable" | "delete"): Promise<ChangeOutcome> {
  const client = await pool.connect().catch((err: unknown) => {
    throw toStoreError(err, "changeOperator");
  });
  try {
    await query(client, "changeOperator", "BEGIN");
    const admins = await query<{ username: string }>(
      client,
      "changeOperator",
      "SELECT username FROM operators WHERE role = 'admin' AND disabled_at IS NULL ORDER BY username FOR UPDATE",
    );
    const target = await query<Row>(client, "changeOperator", `SELECT ${COLUMNS} FROM operators WHERE username = $1 FOR UPDATE`, [
      username,
    ]);
    const row = target.rows[0];
    if (!row) {
      await query(client, "changeOperator", "ROLLBACK");
      return { kind: "not_found" };
    }
    const removesAdmin = change !== "enable" && row.role === "admin" && row.disabled_at === null;
    if (removesAdmin && admins.rows.length <= 1) {
      await query(client, "changeOperator", "ROLLBACK");
      return { kind: "last_admin" };
    }
    const res =
      change === "delete"
        ? await query<Row>(client, "changeOperator", `DELETE FROM operators WHERE username = $1 RETURNING ${COLUMNS}`, [username])
        : await query<Row>(
            client,
            "changeOperator",
            `UPDATE operators SET disabled_at = CASE WHEN $2 THEN coalesce(disabled_at, now()) END WHERE username = $1 RETURNING ${COLUMNS}`,
            [username, change === "disable"],
          );
    await query(client, "changeOperator", "COMMIT");
    return { kind: "done", operator: toRecord(res.rows[0]!) };
  } catch (err) {
    await client.query("ROLLBACK").catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}
