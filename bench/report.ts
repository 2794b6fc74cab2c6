import { existsSync, readFileSync, writeFileSync } from "node:fs";
import type { LoadResult } from "./loadgen.js";

export interface Row extends LoadResult {
  readonly name: string;
}

const ms = (v: number | null) => (v === null || Number.isNaN(v) ? "—" : v.toFixed(2));

/** Renders the measured rows, each throughput as a ratio of the closed-loop baseline, to Markdown. */
export function writeResults(
  path: string,
  rows: readonly Row[],
  watcher: { paymentsPerSecond: number; payments: number; seconds: number },
  env: { cpus: number; cpu: string; durationMs: number; concurrency: number },
): void {
  const baseline = rows.find((r) => r.name.startsWith("baseline"))?.throughput ?? NaN;
  const lines = [
    "# Benchmark results",
    "",
    `Measured by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}: ${env.cpus} cores (${env.cpu}), Node ${process.version},`,
    `gRPC Check on 127.0.0.1, ${env.durationMs / 1000} s per row after 2 s warm-up, ${env.concurrency} calls in flight (closed loop)`,
    "unless a rate is given (open loop). The load generator is a separate Node process; gate402 and the",
    "no-op server each run in their own process; Postgres is the machine's server. Analysis: [NOTES.md](NOTES.md).",
    "",
    "| scenario | checks/s | × baseline | p50 ms | p99 ms | max ms | errors |",
    "|---|---:|---:|---:|---:|---:|---:|",
    ...rows.map(
      (r) =>
        `| ${r.name} | ${r.throughput.toFixed(0)} | ${(r.throughput / baseline).toFixed(2)} | ${ms(r.p50)} | ${ms(r.p99)} | ${ms(r.max)} | ${r.errors} |`,
    ),
    "",
    `Payment watcher catch-up (bench/watcher.ts): ${watcher.payments} payments over ${watcher.payments / 10} devnet blocks indexed from`,
    `height 1 in ${watcher.seconds} s = **${watcher.paymentsPerSecond} payments/s**.`,
    "",
  ];
  // Sections written by other benches (bench/x402.ts, passes.ts, moneypath.ts, caddy.ts): keep them.
  const old = existsSync(path) ? readFileSync(path, "utf8") : "";
  const kept = [
    /<!-- x402-bench:start -->[\s\S]*<!-- x402-bench:end -->/,
    /<!-- passes-bench:start -->[\s\S]*<!-- passes-bench:end -->/,
    /<!-- money-path -->[\s\S]*<!-- \/money-path -->/,
    /<!-- caddy -->[\s\S]*<!-- \/caddy -->/,
    /<!-- usage-bytes -->[\s\S]*<!-- \/usage-bytes -->/,
  ].flatMap((re) => re.exec(old)?.[0] ?? []);
  writeFileSync(path, `${lines.join("\n")}\n${kept.map((k) => `\n${k}\n`).join("")}`);
}
