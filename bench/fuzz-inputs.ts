/**
 * gate402's own bad-input suite: seeded random requests over every client-facing surface — gRPC
 * Check, `/auth/forward`, `/ext-authz/*` and the HTTP API (/prepaid/*, /invoices/*) — checked against
 * the invariants of issue #10: no crash, no gRPC error or HTTP 5xx for client input, and no allow
 * without a valid payment (the fuzzed gateway has no free route and the fuzzer never pays, so every
 * allow is a bypass). Used by test/e2e/fuzz.test.ts (~10k inputs) and `npm run fuzz` (≥ 100k).
 */
import { connect } from "node:net";
import type { ExtAuthzClient } from "../src/transport/envoy/client.js";

/** What the fuzzer knows about the gateway under test. */
export interface FuzzTarget {
  readonly grpc: ExtAuthzClient;
  readonly httpPort: number;
  /** `<invoiceId>:<txHash>` of a payment already redeemed: replays must never be allowed */
  readonly redeemedProof: string;
  /** a real prepaid account with a zero balance */
  readonly emptyAccount: { readonly clientId: string; readonly clientKey: string };
}

export interface FuzzReport {
  readonly inputs: number;
  /** answers by surface, status and error code, e.g. "grpc 402 PAYMENT_REQUIRED": 1234 */
  readonly statuses: Record<string, number>;
  /** invariant violations, first 20 kept with their input */
  readonly failures: number;
  readonly examples: readonly string[];
  readonly elapsedMs: number;
}

/** mulberry32: small, fast, seedable. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Gen {
  constructor(readonly r: () => number) {}
  int(n: number): number {
    return Math.floor(this.r() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  chance(p: number): boolean {
    return this.r() < p;
  }
  /** random string over an alphabet */
  str(alphabet: string, max: number): string {
    let s = "";
    const n = this.int(max + 1);
    for (let i = 0; i < n; i++) s += alphabet[this.int(alphabet.length)];
    return s;
  }
  /** any UTF-16 code units, including controls and lone surrogates */
  wild(max: number): string {
    let s = "";
    const n = this.int(max + 1);
    for (let i = 0; i < n; i++) s += String.fromCharCode(this.chance(0.7) ? 32 + this.int(95) : this.int(0xffff));
    return s;
  }
}

const HEX = "0123456789ABCDEFabcdef";
const B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const TOKENISH = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$%&'*+-.^_`|~ ";

const METHODS = [
  "GET",
  "POST",
  "PUT",
  "DELETE",
  "HEAD",
  "OPTIONS",
  "PATCH",
  "get",
  "Get",
  "PROPFIND",
  "M-SEARCH",
  "UPDATEREDIRECTREF",
  "G T",
  "",
  "GET\u0000",
  "GÉT",
  "😀",
];
const PATH_PIECES = [
  "/api/expensive",
  "/api/premium/x",
  "/API/EXPENSIVE",
  "/Api/Premium/",
  "/api/expensive/",
  "/api",
  "/",
  "//",
  "/./",
  "/../",
  "/free/..",
  "%2F",
  "%2f",
  "%3F",
  "%23",
  "%5C",
  "%00",
  "%0a",
  "%7F",
  "%2e%2e",
  "%2E",
  "%25",
  "%252F",
  "%E2%82%AC",
  "%",
  "%zz",
  "é",
  "€",
  "\u0000",
  "\u0001",
  " ",
  "\t",
  "?x=1",
  "?price=0&free=true",
  "#frag",
  "\\",
  "..",
  ".",
  "*",
  ";jsessionid=1",
  "~",
  "@",
  ":",
];
const HOSTS = [
  "api.example.com",
  "",
  "API.EXAMPLE.COM",
  "a b",
  "evil.example/x",
  "[::1]:8080",
  "h\u0001",
  "例え.jp",
  "api.example.com:99999",
  "user@host",
  "x.y",
];
const SCHEMES = ["https", "http", "HTTPS", "ftp", "", "h t", "javascript"];

const SAFE_PIECES = PATH_PIECES.filter((p) => /^[/A-Za-z.~*;=@:?-]*$/.test(p) && !p.includes("#"));

/** A path-ish target: half of them spellings of real routes (aliases), half with escapes and junk. */
function target(g: Gen): string {
  if (g.chance(0.02)) return `/${"a".repeat(8000 + g.int(2000))}`;
  if (g.chance(0.03)) return g.wild(40);
  const pieces = g.chance(0.5) ? SAFE_PIECES : PATH_PIECES;
  let s = g.chance(0.95) ? "" : g.pick(["", "api", "*", "http://evil.example/api"]);
  const n = 1 + g.int(4);
  for (let i = 0; i < n; i++) s += g.pick(pieces);
  return s.startsWith("/") || g.chance(0.2) ? s : `/${s}`;
}

function method(g: Gen): string {
  if (g.chance(0.7)) return g.pick(["GET", "GET", "POST", "HEAD", "get"]);
  if (g.chance(0.1)) return "G".repeat(1 + g.int(300));
  if (g.chance(0.1)) return g.str(TOKENISH, 40);
  return g.pick(METHODS);
}

function host(g: Gen): string {
  if (g.chance(0.75)) return "api.example.com";
  if (g.chance(0.05)) return `${"h".repeat(250 + g.int(100))}.example`;
  return g.chance(0.2) ? g.wild(30) : g.pick(HOSTS);
}

const b64 = (s: string) => Buffer.from(s).toString("base64");
/** Percent-encodes every UTF-8 byte (lone surrogates become U+FFFD, as Buffer encodes them). */
const pctAll = (s: string) => [...Buffer.from(s, "utf8")].map((b) => `%${b.toString(16).padStart(2, "0")}`).join("");

/** Proof and credential headers: garbage, near misses, replays of a redeemed payment, forgeries. */
function paymentHeaders(g: Gen, t: FuzzTarget): Record<string, string> {
  const [invoiceId, txHash] = t.redeemedProof.split(":") as [string, string];
  const forged = () => {
    const i = g.int(invoiceId.length);
    const c = invoiceId[i] === "A" ? "B" : "A";
    return `${invoiceId.slice(0, i)}${c}${invoiceId.slice(i + 1)}`;
  };
  const proofs = [
    () => "",
    () => g.wild(80),
    () => g.str(HEX, 70),
    () => g.str(HEX, 64).padEnd(64, "A"),
    () => `${g.str(B64URL, 120)}.${g.str(B64URL, 22)}`,
    () => t.redeemedProof,
    () => invoiceId,
    () => `${invoiceId}:${g.str(HEX, 64).padEnd(64, "0")}`,
    () => `${forged()}:${txHash}`,
    () => forged(),
    () => txHash,
    () => "A".repeat(g.chance(0.5) ? 8193 : 20_000),
    () => `${invoiceId}:${txHash}:${txHash}`,
    () => `:${txHash}`,
  ];
  const sigs = [
    () => g.wild(60),
    () => b64(g.wild(60)),
    () => b64("null"),
    () => b64("[".repeat(3000)),
    () =>
      b64(
        JSON.stringify({
          x402Version: 2,
          accepted: { scheme: "exact", network: g.pick(["cosmos:neutaro-devnet-1", "cosmos:Neutaro-1", "eip155:8453", ""]) },
          payload: { txHash: g.chance(0.5) ? txHash : g.str(HEX, 64), invoiceId: g.chance(0.5) ? invoiceId : forged() },
        }),
      ),
    () => b64(JSON.stringify({ x402Version: 1, scheme: "exact", network: "cosmos:neutaro-devnet-1", payload: { txHash, invoiceId } })),
    () => b64(JSON.stringify({ x402Version: g.int(5), payload: g.wild(20) })),
  ];
  const h: Record<string, string> = {};
  if (g.chance(0.6)) h["x-payment-proof"] = g.pick(proofs)();
  if (g.chance(0.15)) h["payment-signature"] = g.pick(sigs)();
  if (g.chance(0.1)) h["x-payment"] = g.pick(sigs)();
  if (g.chance(0.2)) h["x-client-id"] = g.pick([t.emptyAccount.clientId, g.str(B64URL, 70), "../../etc/passwd", "", g.wild(20)]);
  if (g.chance(0.15)) h["x-client-key"] = g.pick([t.emptyAccount.clientKey, g.str(B64URL, 140), "", g.wild(20)]);
  if (g.chance(0.1))
    h["authorization"] = g.pick([`Bearer ${t.emptyAccount.clientKey}`, `Bearer ${g.wild(50)}`, "Basic Zm9vOmJhcg==", "Bearer"]);
  return h;
}

/** Other request headers, sometimes many or large. */
function otherHeaders(g: Gen): Record<string, string> {
  const h: Record<string, string> = {};
  if (g.chance(0.02)) for (let i = 0; i < 150; i++) h[`x-h${i}`] = "v";
  if (g.chance(0.02)) h["x-big"] = "v".repeat(17 * 1024 + g.int(60 * 1024));
  if (g.chance(0.1)) h["x-request-id"] = g.chance(0.5) ? g.wild(40) : "r".repeat(300);
  if (g.chance(0.05)) h[g.str("abcdefghijklmnopqrstuvwxyz-", 300) || "x-empty"] = g.wild(20);
  if (g.chance(0.1)) h["x-gate402-price"] = "0";
  return h;
}

type Outcome = { surface: string; status: number; code?: string; error?: string };

/** The JSON `error` code of an answer body, when it has one. */
function codeOf(text: string | undefined): string | undefined {
  return text ? /"error":"([A-Z_]{3,40})"/.exec(text)?.[1] : undefined;
}

/** Checks one answer against the invariants; returns why it violates them, or undefined. */
function violation(o: Outcome): string | undefined {
  if (o.error) return `${o.surface}: ${o.error}`;
  const gate = o.surface === "grpc" || o.surface === "forward-auth" || o.surface === "ext-authz";
  if (gate && o.status === 200) return `${o.surface}: allowed without a valid payment`;
  if (o.status >= 500) return `${o.surface}: ${o.status}`;
  if (o.status === 0) return `${o.surface}: no answer`;
  return undefined;
}

async function grpcCase(g: Gen, t: FuzzTarget): Promise<[Outcome, string]> {
  const headers: Record<string, string> = { ...otherHeaders(g), ...paymentHeaders(g, t) };
  const m = method(g);
  const path = target(g);
  const h = host(g);
  if (g.chance(0.7)) Object.assign(headers, { ":method": m, ":path": path, ":authority": h, ":scheme": "https" });
  const http: Record<string, unknown> = {
    id: g.chance(0.9) ? "fuzz" : g.wild(30),
    method: m,
    path,
    host: h,
    scheme: g.chance(0.8) ? "https" : g.pick(SCHEMES),
  };
  if (g.chance(0.2)) {
    // the newer header_map form, values as raw bytes
    http["header_map"] = {
      headers: Object.entries(headers).map(([key, value]) => (g.chance(0.5) ? { key, value } : { key, raw_value: Buffer.from(value) })),
    };
  } else {
    http["headers"] = headers;
  }
  if (g.chance(0.03)) delete http["method"];
  if (g.chance(0.03)) delete http["path"];
  const ce = g.pick<Record<string, string>>([
    {},
    {},
    {},
    { route: "premium" },
    { price: "0.002" },
    { route: "premium", price: "0.5" },
    { free: "false" },
  ]);
  const source = g.chance(0.05)
    ? { address: { socket_address: { address: g.wild(20), port_value: g.int(70000) } } }
    : { address: { socket_address: { address: `10.0.0.${g.int(4)}`, port_value: 5000 } } };
  const msg = g.chance(0.02)
    ? { attributes: { context_extensions: ce } }
    : { attributes: { source, request: { http }, context_extensions: ce } };
  const shown = JSON.stringify(msg).slice(0, 300);
  try {
    const res = await t.grpc.check(msg);
    const ok = res.ok_response || res.status?.code === 0;
    const code = (res.denied_response as { status?: { code?: string | number } } | null)?.status?.code;
    const names: Record<string, number> = {
      BadRequest: 400,
      Unauthorized: 401,
      PaymentRequired: 402,
      Forbidden: 403,
      TooManyRequests: 429,
      ServiceUnavailable: 503,
    };
    const status = ok ? 200 : typeof code === "number" ? code : (names[String(code)] ?? 599);
    return [{ surface: "grpc", status, code: codeOf((res.denied_response as { body?: string } | null)?.body) }, shown];
  } catch (err) {
    return [{ surface: "grpc", status: 0, error: `gRPC error ${(err as { code?: number }).code ?? ""} ${(err as Error).message}` }, shown];
  }
}

/** One raw HTTP/1.1 request (arbitrary bytes except CR/LF in header lines); resolves the status. */
function raw(port: number, requestLine: string, headers: Record<string, string>, body = ""): Promise<{ status: number; code?: string }> {
  const clean = (s: string) => s.replace(/[\r\n]/g, "");
  let text = `${clean(requestLine)}\r\n`;
  for (const [k, v] of Object.entries(headers)) text += `${clean(k)}: ${clean(v)}\r\n`;
  text += `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`;
  return new Promise((resolve, reject) => {
    // write, not end: Node's HTTP server drops a half-closed connection whose answer is still pending
    const s = connect(port, "127.0.0.1", () => s.write(text));
    let head = "";
    s.setTimeout(15_000, () => s.destroy(new Error("no answer within 15 s")));
    s.on("data", (c: Buffer) => {
      if (head.length < 16_384) head += c.toString("latin1");
    });
    const parse = () => ({ status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0), code: codeOf(head) });
    s.on("end", () => {
      if (/^HTTP\/1\.[01] \d{3}/.test(head)) resolve(parse());
      else reject(new Error(`no HTTP status in answer ${JSON.stringify(head.slice(0, 64))}`));
    });
    s.on("error", (err: NodeJS.ErrnoException) => (err.code === "ECONNRESET" && head ? resolve(parse()) : reject(err)));
  });
}

async function httpCase(g: Gen, t: FuzzTarget): Promise<[Outcome, string]> {
  const kind = g.pick(["forward-auth", "forward-auth", "ext-authz", "ext-authz", "api"] as const);
  const headers: Record<string, string> = { host: host(g), ...otherHeaders(g), ...paymentHeaders(g, t) };
  let line: string;
  let body = "";
  if (kind === "forward-auth") {
    if (g.chance(0.95)) headers["x-forwarded-method"] = method(g);
    if (g.chance(0.95)) headers["x-forwarded-uri"] = target(g);
    if (g.chance(0.8)) headers["x-forwarded-host"] = host(g);
    if (g.chance(0.5)) headers["x-forwarded-proto"] = g.chance(0.8) ? "https" : g.pick(SCHEMES);
    headers["x-forwarded-for"] = g.chance(0.95) ? `10.1.0.${g.int(4)}` : g.wild(30);
    const q = g.pick(["", "", "?route=premium&price=0.002", "?price=0.001"]);
    line = `${g.pick(["GET", "POST", "HEAD"])} /auth/forward${q} HTTP/1.1`;
  } else if (kind === "ext-authz") {
    line = `${method(g)} /ext-authz${target(g)} HTTP/1.1`;
  } else {
    const api = g.pick(["deposit", "balance", "invoice", "accounts", "health"] as const);
    const [invoiceId] = t.redeemedProof.split(":") as [string];
    if (api === "deposit") {
      headers["content-type"] = g.pick(["application/json", "text/plain", "application/json; charset=utf-8", ""]);
      body = g.pick([
        () => JSON.stringify({ clientId: g.pick([t.emptyAccount.clientId, g.wild(20)]), txHash: g.pick([g.str(HEX, 64), g.wild(70)]) }),
        () => g.wild(200),
        () => "{",
        () => "[".repeat(5000),
        () => JSON.stringify({ clientId: 1, txHash: null, extra: true }),
      ])();
      line = `POST /prepaid/deposit HTTP/1.1`;
    } else if (api === "balance") {
      line = `GET /prepaid/balance/${g.pick([t.emptyAccount.clientId, pctAll(g.wild(40)), "x".repeat(3000), "%00"])} HTTP/1.1`;
    } else if (api === "invoice") {
      line = `GET /invoices/${g.pick([invoiceId, g.str(B64URL, 300), pctAll(g.wild(50)), `${invoiceId}x`])} HTTP/1.1`;
    } else if (api === "accounts") {
      line = `POST /prepaid/accounts HTTP/1.1`;
      headers["x-forwarded-for"] = `10.2.0.${g.int(4)}`;
    } else {
      line = `${method(g)} ${target(g)} HTTP/1.1`;
    }
  }
  const shown = `${kind} ${line.slice(0, 200)} ${JSON.stringify(headers).slice(0, 300)}`;
  try {
    const { status, code } = await raw(t.httpPort, line, headers, body);
    return [{ surface: kind, status, code }, shown];
  } catch (err) {
    return [{ surface: kind, status: 0, error: (err as Error).message }, shown];
  }
}

/**
 * Sends `inputs` seeded random requests, `concurrency` at a time, half over gRPC, half over HTTP.
 * @returns counts by surface and status, and every invariant violation (first 20 with their input)
 */
export async function runFuzz(
  t: FuzzTarget,
  o: { inputs: number; seed: number; concurrency?: number; onProgress?: (done: number) => void },
): Promise<FuzzReport> {
  const g = new Gen(prng(o.seed));
  const statuses: Record<string, number> = {};
  const examples: string[] = [];
  let failures = 0;
  let next = 0;
  let done = 0;
  const started = Date.now();
  const worker = async () => {
    while (next < o.inputs) {
      next++;
      const [outcome, shown] = g.chance(0.5) ? await grpcCase(g, t) : await httpCase(g, t);
      const key = `${outcome.surface} ${outcome.status}${outcome.code ? ` ${outcome.code}` : ""}`;
      statuses[key] = (statuses[key] ?? 0) + 1;
      const why = violation(outcome);
      if (why) {
        failures++;
        if (examples.length < 20) examples.push(`${why} ← ${shown}`);
      }
      if (++done % 10_000 === 0) o.onProgress?.(done);
    }
  };
  await Promise.all(Array.from({ length: o.concurrency ?? 16 }, worker));
  return { inputs: done, statuses, failures, examples, elapsedMs: Date.now() - started };
}
