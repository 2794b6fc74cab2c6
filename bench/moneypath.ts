/**
 * `npm run bench:money`: the prepaid money path under load (issue "Money path under load").
 * Rows: no-op baseline; prepaid over 1,000 accounts (closed loop); one hot account through gRPC and
 * straight into the store (group commit alone); an open loop at 2× the measured prepaid capacity
 * (goodput, answers within GATEWAY_CHECK_DEADLINE_MS, peak RSS of gate402). Every allowed debit is
 * checked against the ledger afterwards (0 overspend). Writes the "Money path" section of
 * bench/RESULTS.md (the rest of the file is left as it is).
 */
import { readFileSync, writeFileSync, existsSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { startDevnet } from "@gate402/devnet";
import { createPgStore } from "../src/store/pg-store.js";
import { verifyLedger } from "../src/store/ledger-verify.js";
import { closeDueUsage } from "../src/store/usage-periods.js";
import type { LoadResult, LoadSpec } from "./loadgen.js";
import { benchCheck, benchDatabase, encodeChecks, freePort, fundedAccounts, runLoadgen, spawnNode, waitHttp } from "./setup.js";

const here = dirname(fileURLToPath(import.meta.url));
const DURATION_MS = Number(process.env["BENCH_DURATION_MS"] ?? 6000);
const WARMUP_MS = 1500;
const DEADLINE_MS = 1500;
const PRICE_MICRO = 100n;
const START = "<!-- money-path -->";
const END = "<!-- /money-path -->";

const check = (headers: Record<string, string>): object => benchCheck("/api/metered/q", headers);

const load = (spec: Omit<LoadSpec, "durationMs" | "warmupMs" | "channels">): Promise<LoadResult> =>
  runLoadgen({ ...spec, durationMs: DURATION_MS, warmupMs: WARMUP_MS, channels: 4 });

/** Peak and current RSS of a process, MiB (Linux /proc). */
function rssMiB(pid: number): { peak: number; now: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (key: string) => Number(/\s(\d+) kB/.exec(status.split("\n").find((l) => l.startsWith(key)) ?? "")?.[1] ?? NaN);
  return { peak: kb("VmHWM") / 1024, now: kb("VmRSS") / 1024 };
}

interface Line {
  readonly name: string;
  readonly r?: LoadResult;
  readonly note: string;
  readonly rate?: number;
}

async function main(): Promise<void> {
  const base = process.env["BENCH_DATABASE_URL"] ?? process.env["TEST_DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/test";
  const db = await benchDatabase(base);
  const devnet = await startDevnet({ blockTimeMs: 500 });
  const [grpcPort, httpPort] = [await freePort(), await freePort()];
  const gw = spawnNode(
    join(here, "..", "src", "cli.js"),
    ["serve"],
    {
      GATEWAY_HOST: "127.0.0.1",
      GATEWAY_GRPC_PORT: String(grpcPort),
      GATEWAY_HTTP_PORT: String(httpPort),
      GATEWAY_PAYMENT_ADDRESS: devnet.wallets[0]!.address,
      GATEWAY_RPC: devnet.rpcUrl,
      GATEWAY_CHAIN_ID: devnet.chainId,
      DATABASE_URL: db.url,
      GATEWAY_INVOICE_SECRET: "bench-invoice-secret-0123456789abcdef012345",
      JWT_SECRET: "bench-jwt-secret-0123456789abcdef0123456789",
      LOG_LEVEL: "warn",
      GATEWAY_WATCHER: "false",
      GATEWAY_ROUTES: "/api/metered/*=0.000100",
      GATEWAY_CHECK_DEADLINE_MS: String(DEADLINE_MS),
    },
    process.env["BENCH_PROFILE_DIR"] ? ["--cpu-prof", `--cpu-prof-dir=${process.env["BENCH_PROFILE_DIR"]}`] : [],
  );
  const noop = spawnNode(join(here, "noop-server.js"), ["0"]);
  const lines: Line[] = [];
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  try {
    await waitHttp(`http://127.0.0.1:${httpPort}/healthz`);
    const noopAddress = `127.0.0.1:${(await noop.firstLine).trim()}`;
    const gwAddress = `127.0.0.1:${grpcPort}`;
    process.stderr.write("bench: funding 1,001 prepaid accounts…\n");
    const accounts = await fundedAccounts(db.url, 1001, 1_000_000_000_000n);
    const hot = accounts.pop()!;
    const creds = (a: { clientId: string; clientKey: string }) => ({ "x-client-id": a.clientId, "x-client-key": a.clientKey });
    const reqPrepaid = encodeChecks(accounts.map((a) => check(creds(a))));
    const reqHot = encodeChecks([check(creds(hot))]);
    const run = async (name: string, address: string, requests: string[], concurrency: number, rate?: number) => {
      process.stderr.write(`bench: ${name}…\n`);
      const r = await load({ address, requests, concurrency, rate });
      process.stderr.write(`  ${JSON.stringify(r)}\n`);
      return r;
    };
    const baseline = await run("baseline", noopAddress, reqPrepaid, 32);
    lines.push({ name: "baseline (no-op Check), 32 in flight", r: baseline, note: "" });
    const prepaid = await run("prepaid", gwAddress, reqPrepaid, 32);
    lines.push({
      name: "prepaid, 1,000 accounts, 32 in flight",
      r: prepaid,
      note: `${(prepaid.throughput / baseline.throughput).toFixed(2)}× baseline`,
    });
    const prepaid128 = await run("prepaid 128", gwAddress, reqPrepaid, 128);
    lines.push({ name: "prepaid, 1,000 accounts, 128 in flight", r: prepaid128, note: "" });
    const hotGrpc = await run("hot account", gwAddress, reqHot, 128);
    lines.push({ name: "one hot account through gRPC, 128 in flight", r: hotGrpc, note: "" });

    // Group commit alone: the same store code in this process, no gRPC in front.
    process.stderr.write("bench: hot account straight into the store…\n");
    const store = createPgStore({ databaseUrl: db.url, poolMax: 10, queueMax: 100_000 });
    const keyHash = (await import("node:crypto")).createHash("sha256").update(hot.clientKey).digest("hex");
    let applied = 0;
    let refused = 0;
    let i = 0;
    const until = Date.now() + DURATION_MS;
    const t0 = Date.now();
    await Promise.all(
      Array.from({ length: 1000 }, async () => {
        while (Date.now() < until) {
          const o = await store
            .debit({ clientId: hot.clientId, keyHash, amountMicro: PRICE_MICRO, routeId: "bench", method: "GET", ref: `s${i++}` })
            .catch(() => null);
          if (o?.kind === "applied") applied++;
          else refused++;
        }
      }),
    );
    const storeRate = applied / ((Date.now() - t0) / 1000);
    await store.close();
    lines.push({
      name: "one hot account straight into the store (1,000 concurrent debit calls)",
      note: `**${storeRate.toFixed(0)} debits/s** applied, ${refused} refused`,
    });

    // Capacity: the best closed-loop prepaid throughput measured above.
    const capacity = Math.max(prepaid.throughput, prepaid128.throughput);
    const rate = Math.round(2 * capacity);
    const before = rssMiB(gw.child.pid!);
    const open = await run("open loop 2×", gwAddress, reqPrepaid, 32, rate);
    const after = rssMiB(gw.child.pid!);
    // Allows per second over the time it took to answer the window's calls (a backlog drains after it).
    const goodput = (open.statuses["200"] ?? 0) / (Math.max(open.spanMs, DURATION_MS) / 1000);
    lines.push({
      name: `prepaid open loop at 2× capacity (${rate}/s offered)`,
      r: open,
      rate,
      note: `goodput ${goodput.toFixed(0)}/s = **${((100 * goodput) / capacity).toFixed(0)} %** of peak; answers ${JSON.stringify(open.statuses)} in ${(open.spanMs / 1000).toFixed(1)} s; max ${open.max.toFixed(0)} ms vs deadline ${DEADLINE_MS} ms; gate402 RSS peak **${after.peak.toFixed(0)} MiB** (before the row: ${before.now.toFixed(0)} MiB)`,
    });

    // 0 overspend: balances + ledger exact, every allow seen is one charged call — a per-call `debit`
    // entry or a rollup's per-call usage detail (rollups per period are the default). A debit whose commit
    // came back after its caller had been answered 503 was refunded (refund entry, same decision id).
    // Open periods are closed first, so the chain holds every call and its size is what stays.
    const allowedSeen = [prepaid, prepaid128, hotGrpc, open].reduce((n, r) => n + r.allowedTotal, 0) + applied;
    await closeDueUsage(pool, 0);
    const { rows } = await pool.query(`SELECT (SELECT count(*)::int FROM ledger_entries WHERE kind = 'debit')
        + (SELECT count(*)::int FROM usage_events) AS calls,
      (SELECT coalesce(sum(call_count), 0)::int FROM ledger_entries WHERE kind = 'usage')
        + (SELECT count(*)::int FROM ledger_entries WHERE kind = 'debit') AS chained,
      (SELECT count(*)::int FROM ledger_entries WHERE kind = 'refund') AS refunds,
      (SELECT sum(balance_micro)::text FROM prepaid_accounts) AS balances`);
    const { calls, chained, refunds, balances } = rows[0] as { calls: number; chained: number; refunds: number; balances: string };
    const funded = 1001n * 1_000_000_000_000n;
    const exact = BigInt(balances) === funded - BigInt(calls - refunds) * PRICE_MICRO;
    const verified = await verifyLedger(pool);
    const size = (
      await pool.query(`SELECT pg_relation_size('ledger_entries')::float8 AS heap,
      pg_total_relation_size('ledger_entries')::float8 AS total, (SELECT count(*) FROM ledger_entries)::float8 AS n,
      pg_total_relation_size('usage_events')::float8
        + coalesce((SELECT sum(pg_total_relation_size(inhrelid))::float8 FROM pg_inherits
                     WHERE inhparent = 'usage_events'::regclass), 0) AS detail`)
    ).rows[0] as { heap: number; total: number; n: number; detail: number };
    const perCall =
      `ledger growth with rollups per period (default): ${(size.total / Math.max(1, calls)).toFixed(0)} B per call with indexes ` +
      `(${size.n} entries for ${calls} calls), per-call usage detail while retained ${(size.detail / Math.max(1, calls)).toFixed(0)} B; ` +
      "WAL not counted (bench:usage measures it)";
    const audit =
      `ledger: ${calls} charged calls (chain holds ${chained}) − ${refunds} refunds of debits committed after their 503 = ` +
      `${calls - refunds} charged, for ${allowedSeen} allows seen (${calls - refunds === allowedSeen ? "equal" : "NOT equal"}); ` +
      `balances ${exact ? "exact" : "NOT exact"}; chains ${verified.ok ? "verify" : "DO NOT verify"}`;
    process.stderr.write(`${audit}\n${perCall}\n`);
    write(lines, `${audit}. ${perCall}`);
  } finally {
    gw.child.kill("SIGTERM");
    noop.child.kill("SIGTERM");
    await pool.end();
    await devnet.stop();
    await new Promise((r) => setTimeout(r, 500));
    await db.drop();
  }
}

function write(lines: readonly Line[], audit: string): void {
  const path = join(here, "..", "..", "bench", "RESULTS.md");
  const ms = (v: number) => (Number.isNaN(v) ? "—" : v.toFixed(1));
  const section = [
    START,
    "## Money path (`npm run bench:money`)",
    "",
    `Measured ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC: ${cpus().length} cores (${cpus()[0]?.model ?? "?"}), load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(" / ")}`,
    `at the end (other work was running on the machine), Node ${process.version}, ${DURATION_MS / 1000} s per row after ${WARMUP_MS / 1000} s warm-up, GATEWAY_CHECK_DEADLINE_MS ${DEADLINE_MS},`,
    "default pool (10), queue bound (1000) and batch settings (1 ms window, 256 debits). Analysis: [NOTES.md](NOTES.md).",
    "",
    "| scenario | checks/s | p50 ms | p99 ms | max ms | errors | notes |",
    "|---|---:|---:|---:|---:|---:|---|",
    ...lines.map((l) =>
      l.r
        ? `| ${l.name} | ${l.r.throughput.toFixed(0)} | ${ms(l.r.p50)} | ${ms(l.r.p99)} | ${ms(l.r.max)} | ${l.r.errors} | ${l.note} |`
        : `| ${l.name} | — | — | — | — | — | ${l.note} |`,
    ),
    "",
    `Afterwards: ${audit}.`,
    END,
  ].join("\n");
  const old = existsSync(path) ? readFileSync(path, "utf8") : "# Benchmark results\n";
  const s = old.indexOf(START);
  const e = old.indexOf(END);
  const next = s >= 0 && e > s ? old.slice(0, s) + section + old.slice(e + END.length) : `${old.trimEnd()}\n\n${section}\n`;
  writeFileSync(path, next);
}

await main();
