/**
 * Load generator for `npm run bench`, run as its own process so it does not share an event loop with
 * the server: unary gRPC Check calls with pre-encoded CheckRequests (no serialization in the loop).
 * Closed loop (fixed concurrency, as fast as possible) or open loop (fixed rate, for tail latency).
 * Input: one JSON line on stdin; output: one JSON line with the latencies summary.
 */
import * as grpc from "@grpc/grpc-js";

export interface LoadSpec {
  readonly address: string;
  /** base64 CheckRequest bodies, used round-robin */
  readonly requests: readonly string[];
  readonly durationMs: number;
  readonly warmupMs: number;
  /** closed loop: calls in flight */
  readonly concurrency: number;
  /** open loop: calls per second (closed loop when absent) */
  readonly rate?: number;
  readonly channels: number;
}

export interface LoadResult {
  readonly calls: number;
  readonly errors: number;
  /** calls per second over the measured window */
  readonly throughput: number;
  /** ms */
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  /** gRPC status code 0 count vs others (denies are OK responses at the gRPC level) */
  readonly okStatus: number;
}

const PATH = "/envoy.service.auth.v3.Authorization/Check";
const id = (b: Buffer) => b;

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const clients = Array.from({ length: spec.channels }, (_, i) =>
    new grpc.Client(spec.address, grpc.credentials.createInsecure(), { "grpc.use_local_subchannel_pool": 1, "grpc.channel_id": i } as grpc.ChannelOptions));
  const bodies = spec.requests.map((r) => Buffer.from(r, "base64"));
  const latencies: number[] = [];
  let calls = 0, errors = 0, okStatus = 0, n = 0;
  const start = performance.now();
  const measureFrom = start + spec.warmupMs;
  const end = measureFrom + spec.durationMs;
  const one = () => new Promise<void>((resolve) => {
    const t0 = performance.now();
    const client = clients[n % clients.length]!;
    const body = bodies[n++ % bodies.length]!;
    client.makeUnaryRequest(PATH, id, id, body, (err) => {
      const t1 = performance.now();
      if (t0 >= measureFrom && t1 <= end) {
        calls++;
        latencies.push(t1 - t0);
        if (err) errors++;
        else okStatus++;
      }
      resolve();
    });
  });
  if (spec.rate) {
    const interval = 1000 / spec.rate;
    const inflight = new Set<Promise<void>>();
    let next = performance.now();
    while (performance.now() < end) {
      const now = performance.now();
      while (next <= now) {
        const p = one();
        inflight.add(p);
        void p.then(() => inflight.delete(p));
        next += interval;
      }
      await new Promise((r) => setTimeout(r, 1));
    }
    await Promise.all(inflight);
  } else {
    const worker = async () => { while (performance.now() < end) await one(); };
    await Promise.all(Array.from({ length: spec.concurrency }, worker));
  }
  for (const c of clients) c.close();
  const sorted = Float64Array.from(latencies).sort();
  return {
    calls, errors, okStatus, throughput: calls / (spec.durationMs / 1000),
    p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] ?? NaN,
  };
}

if (process.argv[1]?.endsWith("loadgen.js")) {
  let input = "";
  process.stdin.on("data", (d) => (input += d));
  process.stdin.on("end", async () => {
    const result = await runLoad(JSON.parse(input) as LoadSpec);
    process.stdout.write(`${JSON.stringify(result)}\n`);
    process.exit(0);
  });
}
