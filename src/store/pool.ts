/**
 * The pg pool and the two ways the store talks through it: one statement, or one transaction on one
 * client. Both translate outages into StoreUnavailableError.
 */
import { createHash } from "node:crypto";
import pg from "pg";
import type { Logger } from "pino";
import { StoreUnavailableError } from "../ports/errors.js";
import { toStoreError } from "./errors.js";

export interface PoolOptions {
  /** postgres://user:pass@host:port/db */
  readonly databaseUrl: string;
  /** maximum connections of this replica (default 10) */
  readonly poolMax?: number;
  /** server-side statement_timeout in ms (default 2000) */
  readonly statementTimeoutMs?: number;
  /** how long to wait for a connection, new or pooled, in ms (default 1000) */
  readonly connectTimeoutMs?: number;
  readonly logger?: Logger;
}

/** Pool gauges for the metrics layer: open connections, idle ones, and callers waiting for one. */
export interface PoolStats {
  readonly total: number;
  readonly idle: number;
  readonly waiting: number;
}

/**
 * A pool that fails fast when Postgres is unreachable (connect timeout) or stuck (statement timeout),
 * so a request turns into a 503 instead of hanging in Envoy's ext_authz timeout.
 */
export function createPool(opts: PoolOptions): pg.Pool {
  const statementTimeoutMs = opts.statementTimeoutMs ?? 2000;
  const pool = new pg.Pool({
    connectionString: opts.databaseUrl,
    max: opts.poolMax ?? 10,
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 1000,
    statement_timeout: statementTimeoutMs,
    // A transaction abandoned by a crashed caller must not hold account row locks for long.
    idle_in_transaction_session_timeout: Math.max(statementTimeoutMs * 5, 10_000),
    application_name: "gate402",
  });
  // An idle client losing its connection emits on the pool; unhandled it would crash the process.
  pool.on("error", (err) => opts.logger?.warn({ err }, "idle postgres connection failed"));
  // A connection that fails while checked out (reset, partition) emits 'error' on its client, and
  // pg-pool listens only while a client is idle: unhandled, that error would crash the process. The
  // query under way already rejects with it (→ StoreUnavailableError), so here it is only logged.
  pool.on("connect", (client) => {
    client.on("error", (err) => opts.logger?.debug({ err: err.message }, "postgres connection failed while in use"));
  });
  return pool;
}

/** Current gauges of `pool`. */
export function poolStatsOf(pool: pg.Pool): PoolStats {
  return { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount };
}

/**
 * Runs one statement. @throws StoreUnavailableError on outage; other errors unchanged.
 * @param operation names the store method in the error message
 */
export async function query<R extends pg.QueryResultRow>(
  db: pg.Pool | pg.PoolClient,
  operation: string,
  text: string,
  values: readonly unknown[] = [],
): Promise<pg.QueryResult<R>> {
  try {
    return await db.query<R>({ name: statementName(text), text, values: values as unknown[] });
  } catch (err) {
    throw toStoreError(err, operation);
  }
}

const names = new Map<string, string>();
const MAX_NAMED = 256;

/**
 * A prepared-statement name for `text`: Postgres then parses and plans each statement once per
 * connection instead of on every call (the debit CTE's planning cost dominated the prepaid path).
 * Same text → same name, always; past MAX_NAMED distinct texts (dynamic SQL) statements go unnamed.
 */
export function statementName(text: string): string | undefined {
  let name = names.get(text);
  if (name === undefined && names.size < MAX_NAMED) {
    name = `g4_${createHash("sha256").update(text).digest("hex").slice(0, 16)}`;
    names.set(text, name);
  }
  return name;
}

/**
 * Runs `fn` inside BEGIN … COMMIT on one pooled client; `fn` returning `{ commit: false }` rolls back.
 * A client whose transaction failed is destroyed rather than returned to the pool.
 * @throws StoreUnavailableError on outage; other errors unchanged (after ROLLBACK)
 */
export async function transaction<T>(
  pool: pg.Pool,
  operation: string,
  fn: (client: pg.PoolClient) => Promise<{ readonly commit: boolean; readonly value: T }>,
): Promise<T> {
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (err) {
    throw toStoreError(err, operation);
  }
  try {
    await client.query("BEGIN");
    const { commit, value } = await fn(client);
    await client.query(commit ? "COMMIT" : "ROLLBACK");
    client.release();
    return value;
  } catch (err) {
    await client.query("ROLLBACK").catch(() => undefined);
    client.release(true);
    throw toStoreError(err, operation);
  }
}

/**
 * Runs `fn` at `deadlineAt` (unix ms) — but after the I/O already waiting in that turn of the event
 * loop (timers run before I/O callbacks; setImmediate after them). On a lagging loop an answer that
 * arrived before the deadline, not yet read, therefore wins over the deadline instead of being thrown
 * away with its connection. @returns cancel
 */
export function atDeadline(deadlineAt: number, fn: () => void): () => void {
  let immediate: NodeJS.Immediate | undefined;
  const timer = setTimeout(() => (immediate = setImmediate(fn)), Math.max(0, deadlineAt - Date.now()));
  return () => {
    clearTimeout(timer);
    if (immediate) clearImmediate(immediate);
  };
}

/** Rejects with StoreUnavailableError at `deadlineAt` unless `work` settles first. */
export function within<T>(work: Promise<T>, deadlineAt: number, operation: string): Promise<T> {
  let cancel = (): void => undefined;
  const late = new Promise<never>((_, reject) => {
    cancel = atDeadline(deadlineAt, () => reject(new StoreUnavailableError(`store ${operation}: deadline passed`)));
  });
  return Promise.race([work, late]).finally(() => cancel());
}

/** true when `err` is (or wraps) an error answered by the Postgres server: the statement's outcome is known. */
export function answeredByServer(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause) if (e instanceof pg.DatabaseError) return true;
  return false;
}

/** Thrown when a store call's deadline passes first; an outage to the caller (503). */
function deadlineError(operation: string, what: string): StoreUnavailableError {
  return new StoreUnavailableError(`store ${operation}: deadline passed ${what}`);
}

/** A connection whose answer is overdue: destroyed now, so nothing more is read from or sent on it. */
function discard(client: pg.PoolClient): void {
  client.on("error", () => undefined);
  (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
}

/** A pooled connection by `deadlineAt` (unix ms); one that arrives after it goes straight back. */
async function acquire(pool: pg.Pool, operation: string, deadlineAt: number): Promise<pg.PoolClient> {
  const ms = deadlineAt - Date.now();
  if (ms <= 0) throw deadlineError(operation, "before it started");
  const pending = pool.connect();
  let cancel = (): void => undefined;
  const late = new Promise<never>((_, reject) => {
    cancel = atDeadline(deadlineAt, () => {
      pending.then(
        (c) => c.release(),
        () => undefined,
      );
      reject(deadlineError(operation, "waiting for a connection"));
    });
  });
  try {
    return await Promise.race([pending, late]);
  } catch (err) {
    throw toStoreError(err, operation);
  } finally {
    cancel();
  }
}

/**
 * Runs one statement and gives up at `deadlineAt` (unix ms, this host's clock): waiting for a
 * connection and for the answer both count. On timeout the connection is destroyed (a statement
 * stuck behind a dead link never returns to the pool) and StoreUnavailableError is thrown at once.
 * The statement itself may still reach Postgres later: money statements therefore also carry their
 * deadline as a parameter and check it themselves (migration 0007).
 * @param onSent called when the statement goes out (a failure after it leaves the outcome unknown)
 * @throws StoreUnavailableError on outage or deadline; other errors unchanged
 */
export async function queryWithin<R extends pg.QueryResultRow>(
  pool: pg.Pool,
  operation: string,
  deadlineAt: number,
  text: string,
  values: readonly unknown[] = [],
  onSent?: () => void,
): Promise<pg.QueryResult<R>> {
  const client = await acquire(pool, operation, deadlineAt);
  let cancel = (): void => undefined;
  try {
    const res = await new Promise<pg.QueryResult<R>>((resolve, reject) => {
      cancel = atDeadline(deadlineAt, () => {
        reject(deadlineError(operation, "waiting for the answer"));
        discard(client);
      });
      client.query<R>({ name: statementName(text), text, values: values as unknown[] }).then(resolve, reject);
      onSent?.();
    });
    client.release();
    return res;
  } catch (err) {
    // A failed or overdue connection is dropped, never reused.
    client.release(err instanceof Error ? err : new Error(String(err)));
    throw toStoreError(err, operation);
  } finally {
    cancel();
  }
}
