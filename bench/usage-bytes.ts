/**
 * `npm run bench:usage`: primary-database bytes per prepaid call (issue 15), straight into the store
 * (no gRPC): per-call `debit` entries vs `usage` rollups + usage_events detail. For each scenario,
 * 1,000 concurrent debit calls at a time until CALLS are applied; measured: table heap + indexes
 * (pg_total_relation_size, all usage_events partitions) and WAL (pg_current_wal_lsn difference — the
 * whole server's WAL, so other work on the server inflates it: an upper bound). Extrapolated to a day
 * at 1,000 calls/s. Writes the "Ledger growth" section of bench/RESULTS.md (the rest is kept).
 */
import { createHash, randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { createPgStore } from "../src/store/pg-store.js";
import { verifyLedger } from "../src/store/ledger-verify.js";
import { benchDatabase } from "./setup.js";

const here = dirname(fileURLToPath(import.meta.url));
const CALLS = Number(process.env["BENCH_USAGE_CALLS"] ?? 20_000);
const IN_FLIGHT = 1000;
const DAY_CALLS = 86_400 * 1000;
const START = "<!-- usage-bytes -->";
const END = "<!-- /usage-bytes -->";

interface Figures { ledger: number; detail: number; wal: number; ledgerRows: number; calls: number }

async function sizes(pool: pg.Pool): Promise<{ ledger: number; detail: number; wal: string; rows: number }> {
  const r = await pool.query<{ ledger: string; detail: string; wal: string; rows: string }>(
    `SELECT pg_total_relation_size('ledger_entries')::text AS ledger,
            (SELECT coalesce(sum(pg_total_relation_size(relid)), 0) FROM pg_partition_tree('usage_events') WHERE isleaf)::text AS detail,
            pg_current_wal_lsn()::text AS wal, (SELECT count(*) FROM ledger_entries)::text AS rows`);
  const row = r.rows[0]!;
  return { ledger: Number(row.ledger), detail: Number(row.detail), wal: row.wal, rows: Number(row.rows) };
}

async function scenario(base: string, rollups: boolean, accounts: number): Promise<Figures> {
  const db = await benchDatabase(base);
  const store = createPgStore({ databaseUrl: db.url, poolMax: 10, queueMax: 100_000, defaultDeadlineMs: 60_000, ledgerRollups: rollups });
  try {
    const accts: { clientId: string; keyHash: string }[] = [];
    for (let i = 0; i < accounts; i++) {
      const key = randomBytes(16).toString("hex");
      const clientId = `bench-${i}`;
      await store.createAccount({ clientId, keyHash: createHash("sha256").update(key).digest("hex"), depositMemo: `bench-memo-${i}` });
      await store.creditDeposit({ clientId, txHash: randomBytes(32).toString("hex").toUpperCase(), amountMicro: 10n ** 15n, height: 1, sender: "bench" });
      accts.push({ clientId, keyHash: createHash("sha256").update(key).digest("hex") });
    }
    await store.pool.query("CHECKPOINT").catch(() => undefined);
    const before = await sizes(store.pool);
    let n = 0;
    while (n < CALLS) {
      const round = Array.from({ length: Math.min(IN_FLIGHT, CALLS - n) }, (_, i) => {
        const a = accts[(n + i) % accounts]!;
        // decision ids shaped like gate402's (UUIDs), so their bytes are realistic
        return store.debit({ ...a, amountMicro: 100n, routeId: "metered", method: "GET", ref: crypto.randomUUID() });
      });
      const outs = await Promise.all(round);
      if (outs.some((o) => o.kind !== "applied")) throw new Error("a bench debit was not applied");
      n += round.length;
    }
    const after = await sizes(store.pool);
    const wal = await store.pool.query<{ d: string }>("SELECT pg_wal_lsn_diff($1, $2)::text AS d", [after.wal, before.wal]);
    const verified = await verifyLedger(store);
    if (!verified.ok) throw new Error(`ledger does not verify: ${JSON.stringify(verified)}`);
    return { ledger: after.ledger - before.ledger, detail: after.detail - before.detail, wal: Number(wal.rows[0]!.d), ledgerRows: after.rows - before.rows, calls: n };
  } finally {
    await store.close();
    await db.drop();
  }
}

const perCall = (bytes: number, calls: number) => (bytes / calls).toFixed(0);
const perDay = (bytes: number, calls: number) => `${((bytes / calls) * DAY_CALLS / 1e9).toFixed(1)} GB`;

async function main(): Promise<void> {
  const base = process.env["BENCH_DATABASE_URL"] ?? process.env["TEST_DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/test";
  const rows: string[] = [];
  for (const [rollups, accounts] of [[false, 10], [true, 10], [true, 100], [true, 1000]] as const) {
    const f = await scenario(base, rollups, accounts);
    process.stderr.write(`${JSON.stringify({ rollups, accounts, ...f })}\n`);
    const what = rollups ? `rollups + detail, ${accounts} accounts` : `per-call debit entries, ${accounts} accounts`;
    rows.push(`| ${what} | ${f.calls} | ${(f.calls / Math.max(1, f.ledgerRows)).toFixed(1)} | ${perCall(f.ledger, f.calls)} | ${perCall(f.detail, f.calls)} | ${perCall(f.wal, f.calls)} | ${perDay(f.ledger, f.calls)} | ${perDay(f.detail, f.calls)} | ${perDay(f.wal, f.calls)} |`);
  }
  const section = [
    START,
    "## Ledger growth per prepaid call (`npm run bench:usage`)",
    "",
    `Measured ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC: ${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(1)).join(" / ")}`,
    `at the end (other work was running on the machine and on the Postgres server), Node ${process.version}; straight into the store,`,
    `${IN_FLIGHT} debit calls in flight, default batch settings (1 ms window, 256 debits). Bytes: heap + indexes`,
    "(pg_total_relation_size; detail = all usage_events partitions). WAL: pg_current_wal_lsn difference of the whole",
    "server, so an upper bound (colleagues' tests ran on the same server). A day = 86.4 M calls (1,000 calls/s).",
    "Beyond the retention window only the ledger column stays (plus one usage_daily row per account, route, method and day).",
    "",
    "| scenario | calls | calls per ledger row | ledger B/call | detail B/call | WAL B/call | ledger per day | detail per day | WAL per day |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
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
