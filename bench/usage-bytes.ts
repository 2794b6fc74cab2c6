/**
 * `npm run bench:usage`: primary-database bytes per prepaid call (issue 15), straight into the store
 * (no gRPC). Scenarios: per-call `debit` entries, `usage` rollups per batch (GATEWAY_LEDGER_ROLLUP_MS=0),
 * and rollups per period (the default, 60 s) at 10 / 100 / 1,000 accounts. The per-call and per-batch
 * scenarios push CALLS debits as fast as the store takes them (1,000 in flight); the period scenarios
 * offer a steady RATE calls/s spread evenly over the accounts for RUN_S seconds (at least two periods),
 * then close the periods left open, so partial periods count against them (a pessimistic figure).
 * Measured: table heap + indexes (pg_total_relation_size; detail = all usage_events partitions) and WAL
 * (pg_current_wal_lsn difference of the whole server, so other work on it inflates it: an upper bound).
 * Extrapolated to a day at 1,000 calls/s. Writes the "Ledger growth" section of bench/RESULTS.md.
 */
import { createHash, randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import type { DebitOutcome } from "../src/ports/store.js";
import { createPgStore, type PgStore } from "../src/store/pg-store.js";
import { verifyLedger } from "../src/store/ledger-verify.js";
import { closeDueUsage } from "../src/store/usage-periods.js";
import { benchDatabase } from "./setup.js";

const here = dirname(fileURLToPath(import.meta.url));
const CALLS = Number(process.env["BENCH_USAGE_CALLS"] ?? 20_000);
const RATE = Number(process.env["BENCH_USAGE_RATE"] ?? 1000);
const RUN_S = Number(process.env["BENCH_USAGE_RUN_S"] ?? 130);
const IN_FLIGHT = 1000;
const DAY_CALLS = 86_400 * 1000;
const START = "<!-- usage-bytes -->";
const END = "<!-- /usage-bytes -->";

interface Scenario {
  readonly what: string;
  readonly accounts: number;
  /** null: per-call entries; 0: per batch; > 0: period ms */
  readonly periodMs: number | null;
  /** offered calls/s for runS seconds; undefined: CALLS as fast as possible */
  readonly rate?: number;
  readonly runS?: number;
}

interface Figures {
  ledger: number;
  detail: number;
  wal: number;
  dbWal: number | null;
  fpi: number | null;
  checkpoints: number;
  ledgerRows: number;
  calls: number;
  seconds: number;
}

const checkpointsDone = async (pool: pg.Pool) =>
  Number((await pool.query<{ n: string }>("SELECT (checkpoints_timed + checkpoints_req)::text AS n FROM pg_stat_bgwriter")).rows[0]!.n);

async function sizes(pool: pg.Pool): Promise<{ ledger: number; detail: number; wal: string; rows: number }> {
  const r = await pool.query<{ ledger: string; detail: string; wal: string; rows: string }>(
    `SELECT pg_total_relation_size('ledger_entries')::text AS ledger,
            (SELECT coalesce(sum(pg_total_relation_size(relid)), 0) FROM pg_partition_tree('usage_events') WHERE isleaf)::text AS detail,
            pg_current_wal_lsn()::text AS wal, (SELECT count(*) FROM ledger_entries)::text AS rows`,
  );
  const row = r.rows[0]!;
  return { ledger: Number(row.ledger), detail: Number(row.detail), wal: row.wal, rows: Number(row.rows) };
}

/**
 * WAL written for this database alone (pg_walinspect, PostgreSQL 15+; superuser): every record that
 * touches one of its relations, plus the records (commits) of the transactions that did. A temporary
 * physical replication slot, held by this object's own session, keeps the WAL from being recycled until
 * it is read at the end (and goes away with the session, also if the bench dies). null when unavailable.
 */
class DatabaseWal {
  private constructor(
    private readonly c: pg.Client,
    private readonly oid: string,
    private readonly from: string,
  ) {}

  static async start(url: string): Promise<DatabaseWal | null> {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      await c.query("CREATE EXTENSION IF NOT EXISTS pg_walinspect");
      await c.query(`SELECT pg_create_physical_replication_slot('gate402_bench_' || pg_backend_pid(), true, true)`);
      const r = await c.query<{ oid: string; lsn: string }>(
        "SELECT (SELECT oid::text FROM pg_database WHERE datname = current_database()) AS oid, pg_current_wal_flush_lsn()::text AS lsn",
      );
      return new DatabaseWal(c, r.rows[0]!.oid, r.rows[0]!.lsn);
    } catch (err) {
      process.stderr.write(`pg_walinspect unavailable (${(err as Error).message}): WAL of this database not measured\n`);
      await c.end();
      return null;
    }
  }

  /**
   * Bytes of WAL since start, in total, in full-page images (the first change of a page after each
   * checkpoint: how many depends on how often the server checkpoints) and per record kind; ends the
   * session (and the slot).
   */
  async stop(): Promise<{ bytes: number; fpi: number; byKind: Map<string, number> }> {
    try {
      const res = await this.c.query<{ kind: string; bytes: string; fpi: string }>(
        `WITH r AS (SELECT xid, resource_manager || ':' || split_part(record_type, ' ', 1) AS kind, record_length, fpi_length, block_ref
                      FROM pg_get_wal_records_info($1::pg_lsn, pg_current_wal_flush_lsn())),
              mine AS (SELECT DISTINCT xid FROM r WHERE block_ref LIKE $2 AND xid <> 0)
         SELECT kind, sum(record_length)::text AS bytes, sum(fpi_length)::text AS fpi FROM r
          WHERE block_ref LIKE $2 OR xid IN (SELECT xid FROM mine) GROUP BY kind`,
        [this.from, `%rel %/${this.oid}/%`],
      );
      const byKind = new Map(res.rows.map((r) => [r.kind, Number(r.bytes)]));
      const fpi = res.rows.reduce((n, r) => n + Number(r.fpi), 0);
      return { bytes: [...byKind.values()].reduce((a, b) => a + b, 0), fpi, byKind };
    } finally {
      await this.c.end();
    }
  }
}

type Account = { clientId: string; keyHash: string };
// decision ids shaped like gate402's (UUIDs), so their bytes are realistic
const call = (store: PgStore, a: Account) =>
  store.debit({ ...a, amountMicro: 100n, routeId: "metered", method: "GET", ref: crypto.randomUUID() });

/** CALLS debits, IN_FLIGHT at a time, round-robin over the accounts. @returns calls applied */
async function flat(store: PgStore, accts: readonly Account[]): Promise<number> {
  let n = 0;
  while (n < CALLS) {
    const round = Array.from({ length: Math.min(IN_FLIGHT, CALLS - n) }, (_, i) => call(store, accts[(n + i) % accts.length]!));
    const outs = await Promise.all(round);
    if (outs.some((o) => o.kind !== "applied")) throw new Error("a bench debit was not applied");
    n += round.length;
  }
  return n;
}

/** `rate` calls/s for `runS` s, issued every 50 ms, round-robin over the accounts. @returns calls applied */
async function paced(store: PgStore, accts: readonly Account[], rate: number, runS: number): Promise<number> {
  const pending: Promise<DebitOutcome>[] = [];
  const t0 = Date.now();
  let n = 0;
  while (Date.now() - t0 < runS * 1000) {
    const due = Math.floor(((Date.now() - t0) / 1000) * rate);
    for (; n < due; n++) pending.push(call(store, accts[n % accts.length]!));
    await new Promise((r) => setTimeout(r, 50));
  }
  const outs = await Promise.all(pending);
  if (outs.some((o) => o.kind !== "applied")) throw new Error("a bench debit was not applied");
  return n;
}

async function scenario(base: string, s: Scenario): Promise<Figures> {
  const db = await benchDatabase(base);
  const store = createPgStore({
    databaseUrl: db.url,
    poolMax: 10,
    queueMax: 100_000,
    defaultDeadlineMs: 60_000,
    ledgerRollups: s.periodMs !== null,
    ledgerRollupMs: s.periodMs ?? 0,
  });
  try {
    const accts: Account[] = [];
    for (let i = 0; i < s.accounts; i++) {
      const key = randomBytes(16).toString("hex");
      const clientId = `bench-${i}`;
      await store.createAccount({ clientId, keyHash: createHash("sha256").update(key).digest("hex"), depositMemo: `bench-memo-${i}` });
      await store.creditDeposit({
        clientId,
        txHash: randomBytes(32).toString("hex").toUpperCase(),
        amountMicro: 10n ** 15n,
        height: 1,
        sender: "bench",
      });
      accts.push({ clientId, keyHash: createHash("sha256").update(key).digest("hex") });
    }
    await store.pool.query("CHECKPOINT").catch(() => undefined);
    const before = await sizes(store.pool);
    const walReader = await DatabaseWal.start(db.url);
    const checkpointsBefore = await checkpointsDone(store.pool);
    const t0 = Date.now();
    const n = s.rate ? await paced(store, accts, s.rate, s.runS ?? RUN_S) : await flat(store, accts);
    const seconds = (Date.now() - t0) / 1000;
    // What a sweep would close a moment later: every period still open goes into the chain now.
    await closeDueUsage(store.pool, 0);
    const dbWal = await walReader?.stop();
    const byKind = dbWal && Object.fromEntries([...dbWal.byKind].map(([k, b]) => [k, Math.round(b / n)]));
    if (byKind) process.stderr.write(`${JSON.stringify({ walPerCallByKind: byKind })}\n`);
    const after = await sizes(store.pool);
    const wal = await store.pool.query<{ d: string }>("SELECT pg_wal_lsn_diff($1, $2)::text AS d", [after.wal, before.wal]);
    const verified = await verifyLedger(store);
    if (!verified.ok) throw new Error(`ledger does not verify: ${JSON.stringify(verified)}`);
    return {
      ledger: after.ledger - before.ledger,
      detail: after.detail - before.detail,
      wal: Number(wal.rows[0]!.d),
      dbWal: dbWal?.bytes ?? null,
      fpi: dbWal?.fpi ?? null,
      checkpoints: (await checkpointsDone(store.pool)) - checkpointsBefore,
      ledgerRows: after.rows - before.rows,
      calls: n,
      seconds,
    };
  } finally {
    await store.close();
    await db.drop();
  }
}

const perCall = (bytes: number, calls: number) => (bytes / calls).toFixed(0);
const perDay = (bytes: number, calls: number) => `${(((bytes / calls) * DAY_CALLS) / 1e9).toFixed(1)} GB`;

async function main(): Promise<void> {
  const base = process.env["BENCH_DATABASE_URL"] ?? process.env["TEST_DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/test";
  const scenarios: Scenario[] = [
    { what: "per-call debit entries", accounts: 10, periodMs: null },
    { what: "per-call debit entries", accounts: 1000, periodMs: null, rate: RATE, runS: Math.min(60, RUN_S) },
    { what: "rollups per batch (period 0)", accounts: 1000, periodMs: 0 },
    ...[10, 100, 1000].map((accounts) => ({
      what: "rollups per 60 s period (default)",
      accounts,
      periodMs: 60_000,
      rate: RATE,
      runS: RUN_S,
    })),
    { what: "rollups per 10 s period", accounts: 1000, periodMs: 10_000, rate: RATE, runS: Math.min(60, RUN_S) },
  ];
  const loadBefore = loadavg();
  const rows: string[] = [];
  for (const s of scenarios) {
    const f = await scenario(base, s);
    process.stderr.write(`${JSON.stringify({ ...s, ...f })}\n`);
    const how = s.rate ? `${s.rate}/s for ${s.runS} s` : "flat out";
    const walOf = (b: number | null) => (b === null ? "n/a" : perCall(b, f.calls));
    rows.push(
      [
        `${s.what}, ${s.accounts} accounts`,
        how,
        f.calls,
        (f.calls / f.seconds).toFixed(0),
        (f.calls / Math.max(1, f.ledgerRows)).toFixed(1),
        perCall(f.ledger, f.calls),
        perCall(f.detail, f.calls),
        walOf(f.dbWal),
        walOf(f.fpi),
        f.checkpoints,
        perCall(f.wal, f.calls),
        perDay(f.ledger, f.calls),
        perDay(f.detail, f.calls),
        f.dbWal === null ? "n/a" : perDay(f.dbWal, f.calls),
      ]
        .join(" | ")
        .replace(/^/, "| ")
        .concat(" |"),
    );
  }
  const fmt = (l: number[]) => l.map((x) => x.toFixed(1)).join(" / ");
  const section = [
    START,
    "## Ledger growth per prepaid call (`npm run bench:usage`)",
    "",
    `Measured ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC on a shared machine: ${cpus().length} cores, load average`,
    `${fmt(loadBefore)} before and ${fmt(loadavg())} after (1 / 5 / 15 min; other sessions' builds and tests were running on the`,
    `machine and on the same Postgres server), Node ${process.version}; straight into the store, default batch settings (1 ms window,`,
    '256 debits). "flat out": 1,000 debit calls in flight until all are applied; "N/s": a steady offered rate spread evenly',
    "over the accounts (1,000 calls/s over 1,000 accounts = 1 call/s per account), periods still open at the end closed then",
    "(partial periods count: pessimistic). Bytes: heap + indexes (pg_total_relation_size; detail = all usage_events partitions).",
    "WAL: the records of this database's relations and its transactions' commits (pg_walinspect over the run), full-page",
    "images (FPI: the first change of each page after a checkpoint) included and shown apart: how many there are depends on",
    'how often the server checkpoints ("checkpoints" during the run; here mostly forced by other sessions\' WAL on the shared',
    'server, default max_wal_size 1 GB, checkpoint_timeout 5 min). "server WAL": pg_current_wal_lsn difference of the whole',
    "server (an upper bound). A day = 86.4 M calls (1,000 calls/s).",
    "Beyond the retention window only the ledger column stays (plus one usage_daily row per account, route, method and day);",
    "an open period lives in its account row (a fixed ~70 B per account, not per call).",
    "",
    "| scenario | load | calls | calls/s | calls per ledger row | ledger B/call | detail B/call | WAL B/call | of which FPI |" +
      " checkpoints | server WAL B/call | ledger per day | detail per day | WAL per day |",
    "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...rows,
    END,
  ].join("\n");
  const path = join(here, "..", "..", "bench", "RESULTS.md");
  const old = existsSync(path) ? readFileSync(path, "utf8") : "";
  const re = new RegExp(`${START}[\\s\\S]*${END}`);
  writeFileSync(path, re.test(old) ? old.replace(re, section) : `${old.trimEnd()}\n\n${section}\n`);
  process.stdout.write(`${section}\n`);
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
