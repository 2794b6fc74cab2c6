/**
 * HTTP/1.1 load generator for `npm run bench:caddy`, its own process: a closed loop over keep-alive
 * connections (like `autocannon -c N`), requests round-robin over a list of header sets.
 * Input: one JSON line on stdin; output: one JSON line (throughput, latencies, answers by status).
 */
import http from "node:http";

export interface HttpLoadSpec {
  readonly url: string;
  /** header sets, used round-robin */
  readonly headers: readonly Record<string, string>[];
  readonly connections: number;
  readonly durationMs: number;
  readonly warmupMs: number;
}

export interface HttpLoadResult {
  readonly calls: number;
  readonly throughput: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  /** answers by HTTP status, "error" for failed requests */
  readonly statuses: Record<string, number>;
}

export async function runHttpLoad(spec: HttpLoadSpec): Promise<HttpLoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: spec.connections });
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let n = 0;
  const start = performance.now();
  const from = start + spec.warmupMs;
  const end = from + spec.durationMs;
  const one = () =>
    new Promise<string>((resolve) => {
      const req = http.get(spec.url, { agent, headers: spec.headers[n++ % spec.headers.length] }, (res) => {
        res.on("data", () => {});
        res.on("end", () => resolve(String(res.statusCode)));
      });
      req.on("error", () => resolve("error"));
    });
  const worker = async () => {
    while (performance.now() < end) {
      const t0 = performance.now();
      const status = await one();
      if (t0 >= from) {
        latencies.push(performance.now() - t0);
        statuses[status] = (statuses[status] ?? 0) + 1;
      }
    }
  };
  await Promise.all(Array.from({ length: spec.connections }, worker));
  agent.destroy();
  const sorted = Float64Array.from(latencies).sort();
  const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
  return {
    calls: latencies.length,
    throughput: latencies.length / (spec.durationMs / 1000),
    p50: pct(50),
    p99: pct(99),
    max: sorted[sorted.length - 1] ?? NaN,
    statuses,
  };
}

if (process.argv[1]?.endsWith("httpload.js")) {
  let input = "";
  process.stdin.on("data", (d) => (input += d));
  process.stdin.on("end", async () => {
    process.stdout.write(`${JSON.stringify(await runHttpLoad(JSON.parse(input) as HttpLoadSpec))}\n`);
    process.exit(0);
  });
}
