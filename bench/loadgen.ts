/**
 * Load generator for `npm run bench`, run as its own process so it does not share an event loop with
 * the server: unary gRPC Check calls over raw HTTP/2 with pre-encoded, pre-framed CheckRequests.
 * Closed loop (fixed concurrency, as fast as possible) or open loop (fixed rate, for tail latency).
 * Input: one JSON line on stdin; output: one JSON line with the latencies summary.
 */
import http2 from "node:http2";

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
  /** send each request exactly once (closed loop, no warm-up), e.g. single-use proofs */
  readonly once?: boolean;
  readonly channels: number;
  /** TLS (PEM strings): the CA that signed the server, and a client certificate for mTLS */
  readonly tls?: { readonly ca: string; readonly cert?: string; readonly key?: string };
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
  /** calls answered with grpc-status 0 (denies are OK at the gRPC level); errors = every other answer */
  readonly okStatus: number;
  /** measured calls by HTTP answer: "200" (allow), "402", "503", … (from the CheckResponse bytes) */
  readonly statuses: Record<string, number>;
  /** allows over the whole run, warm-up included (what a ledger must account for) */
  readonly allowedTotal: number;
  /** ms from the start of the measured window until its last call was answered (open loop: drain included) */
  readonly spanMs: number;
}

const PATH = "/envoy.service.auth.v3.Authorization/Check";

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** gRPC length-prefixed message framing: flag 0 (uncompressed), 4-byte big-endian length, bytes. */
function frame(message: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(message.length, 1);
  return Buffer.concat([head, message]);
}

/**
 * Raw HTTP/2 gRPC calls (no grpc-js call machinery): the generator must cost far less CPU than the
 * server it measures, since both share the machine's two cores.
 */
/** Reads a protobuf varint at `at`; returns [value, next offset]. */
function varint(b: Buffer, at: number): [number, number] {
  let v = 0,
    shift = 0;
  for (;;) {
    const byte = b[at++]!;
    v += (byte & 0x7f) * 2 ** shift;
    if (byte < 0x80) return [v, at];
    shift += 7;
  }
}

/**
 * The HTTP answer of a framed CheckResponse without a protobuf library: "200" when it carries
 * ok_response (field 3), the denied_response's (field 2) status.code otherwise, "?" when unreadable.
 */
function answerOf(framed: Buffer): string {
  try {
    const m = framed.subarray(5);
    for (let at = 0; at < m.length; ) {
      const [tag, afterTag] = varint(m, at);
      if ((tag & 7) !== 2) return "?";
      const [len, start] = varint(m, afterTag);
      if (tag >> 3 === 3) return "200";
      if (tag >> 3 === 2) {
        // DeniedHttpResponse.status (field 1) → HttpStatus.code (field 1, varint)
        const denied = m.subarray(start, start + len);
        const [, statusStart] = varint(denied, 1);
        return String(varint(denied, statusStart + 1)[0]);
      }
      at = start + len;
    }
  } catch {
    /* fall through */
  }
  return "?";
}

function caller(address: string, tls?: LoadSpec["tls"]): { call(body: Buffer): Promise<string | false>; close(): void } {
  const session = tls
    ? http2.connect(`https://${address}`, { ca: tls.ca, cert: tls.cert, key: tls.key })
    : http2.connect(`http://${address}`);
  session.on("error", () => {});
  return {
    call: (body) =>
      new Promise<string | false>((resolve) => {
        const req = session.request({ ":method": "POST", ":path": PATH, "content-type": "application/grpc", te: "trailers" });
        let status = "";
        const chunks: Buffer[] = [];
        req.on("response", (h) => {
          if (h["grpc-status"] !== undefined) status = String(h["grpc-status"]);
        });
        req.on("trailers", (t) => {
          status = String(t["grpc-status"] ?? status);
        });
        req.on("data", (d: Buffer) => chunks.push(d));
        req.on("close", () => resolve(status === "0" && answerOf(Buffer.concat(chunks))));
        req.on("error", () => resolve(false));
        req.end(body);
      }),
    close: () => session.close(),
  };
}

export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const callers = Array.from({ length: spec.channels }, () => caller(spec.address, spec.tls));
  const bodies = spec.requests.map((r) => frame(Buffer.from(r, "base64")));
  const latencies: number[] = [];
  let calls = 0,
    errors = 0,
    okStatus = 0,
    n = 0,
    allowedTotal = 0,
    lastAnswer = 0;
  const statuses: Record<string, number> = {};
  const start = performance.now();
  const measureFrom = spec.once ? start : start + spec.warmupMs;
  let end = spec.once ? Infinity : measureFrom + spec.durationMs;
  // A call counts when it STARTS inside the window, however late it ends: an overloaded server
  // must show up as latency, not as missing samples.
  const one = async () => {
    const t0 = performance.now();
    const i = n++;
    const answer = await callers[i % callers.length]!.call(bodies[i % bodies.length]!);
    if (answer === "200") allowedTotal++;
    if (t0 >= measureFrom && t0 < end) {
      calls++;
      lastAnswer = performance.now();
      latencies.push(lastAnswer - t0);
      if (answer !== false) {
        okStatus++;
        statuses[answer] = (statuses[answer] ?? 0) + 1;
      } else errors++;
    }
  };
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
  } else if (spec.once) {
    const worker = async () => {
      while (n < bodies.length) await one();
    };
    await Promise.all(Array.from({ length: spec.concurrency }, worker));
    end = performance.now();
  } else {
    const worker = async () => {
      while (performance.now() < end) await one();
    };
    await Promise.all(Array.from({ length: spec.concurrency }, worker));
  }
  for (const c of callers) c.close();
  const sorted = Float64Array.from(latencies).sort();
  return {
    calls,
    errors,
    okStatus,
    statuses,
    allowedTotal,
    spanMs: lastAnswer - measureFrom,
    throughput: calls / ((spec.once ? end - start : spec.durationMs) / 1000),
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? NaN,
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
