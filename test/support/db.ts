/**
 * Throwaway Postgres databases for integration tests.
 *
 * `freshDatabase()` returns `{ url, drop }`: `url` points at a new, uniquely named, fully migrated
 * database (`gate402_t_<random>`), so test files running in parallel never share state; `drop()` removes
 * it (`DROP DATABASE … WITH (FORCE)`, which also ends connections a test left open).
 *
 * The server the databases are created on, chosen once per test process:
 * 1. `TEST_DATABASE_URL` when set (CI: postgres://postgres@127.0.0.1:5432/test, trust auth);
 * 2. else a testcontainers PostgreSQL 15 when a Docker engine is reachable (and TEST_POSTGRES is not
 *    "embedded", which .ci/run sets to test the embedded path);
 * 3. else embedded Postgres (src/store/embedded.ts) in a directory under $TMPDIR/gate402-test-pg, deleted
 *    when the process exits (clusters left behind by killed workers are swept by a later run).
 *
 * Usage:
 *   let db: TestDatabase;
 *   beforeAll(async () => { db = await freshDatabase(); });
 *   afterAll(() => db.drop());
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { startEmbeddedPostgres } from "../../src/store/embedded.js";
import { migrate } from "../../src/store/migrate.js";

export interface TestDatabase {
  /** connection URL of the new, migrated database */
  readonly url: string;
  /** drops the database, forcing out open connections; idempotent */
  drop(): Promise<void>;
}

let baseServer: Promise<string> | undefined;

async function dockerReachable(): Promise<boolean> {
  if (!process.env.DOCKER_HOST && !existsSync("/var/run/docker.sock")) return false;
  try {
    const { getContainerRuntimeClient } = await import("testcontainers");
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

async function startBaseServer(): Promise<string> {
  const fromEnv = process.env.TEST_DATABASE_URL;
  if (fromEnv) return fromEnv;
  if (process.env["TEST_POSTGRES"] !== "embedded" && (await dockerReachable())) {
    const { PostgreSqlContainer } = await import("@testcontainers/postgresql");
    const container = await new PostgreSqlContainer("postgres:15-alpine").start();
    return container.getConnectionUri();
  }
  // Embedded: one cluster per test process, stopped and deleted when the process exits. Vitest ends its
  // workers with SIGTERM, which skips 'exit' handlers: turn it into an exit. A SIGKILLed worker's server
  // stops by itself (its watchdog sees our pipe close); its directory is left for the sweep.
  process.once("SIGTERM", () => process.exit(143));
  sweepStaleClusters();
  const server = await startEmbeddedPostgres({ dataDir: mkdtempSync(join(EMBEDDED_ROOT, "pg-")), ephemeral: true });
  return server.databaseUrl;
}

const EMBEDDED_ROOT = join(tmpdir(), "gate402-test-pg");
const STALE_AFTER_MS = 10 * 60_000;

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === "EPERM";
  }
}

/** Deletes clusters left by killed test processes: older than 10 min and no live postmaster. */
function sweepStaleClusters(): void {
  mkdirSync(EMBEDDED_ROOT, { recursive: true, mode: 0o755 });
  for (const name of readdirSync(EMBEDDED_ROOT)) {
    const dir = join(EMBEDDED_ROOT, name);
    if (Date.now() - statSync(dir).mtimeMs < STALE_AFTER_MS) continue;
    const pidFile = join(dir, "postmaster.pid");
    const pid = existsSync(pidFile) ? Number.parseInt(readFileSync(pidFile, "utf8"), 10) : NaN;
    if (!Number.isNaN(pid) && pidAlive(pid)) continue;
    rmSync(dir, { recursive: true, force: true });
  }
}

function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

async function admin<T>(baseUrl: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: baseUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Creates and migrates a database of its own for the caller; see the module docs. */
export async function freshDatabase(): Promise<TestDatabase> {
  const db = await emptyDatabase();
  try {
    await migrate(db.url);
  } catch (err) {
    await db.drop();
    throw err;
  }
  return db;
}

/** Creates an empty, unmigrated database (for migration tests); same lifecycle as freshDatabase(). */
export async function emptyDatabase(): Promise<TestDatabase> {
  baseServer ??= startBaseServer();
  const baseUrl = await baseServer;
  const name = `gate402_t_${randomBytes(6).toString("hex")}`;
  await admin(baseUrl, (c) => c.query(`CREATE DATABASE ${name}`));
  let dropped: Promise<void> | undefined;
  const drop = (): Promise<void> =>
    (dropped ??= admin(baseUrl, async (c) => {
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    }));
  return { url: withDatabase(baseUrl, name), drop };
}
