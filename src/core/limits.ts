import type { RequestFacts } from "./facts.js";

/**
 * Limits on every client-controlled request field that can reach an invoice, a log line or a metric.
 * Checked by the core for every transport (gate.ts), so gRPC Check, `/auth/forward` and `/ext-authz/*`
 * refuse the same inputs with the same `400 INVALID_REQUEST`. The method bound keeps the invoice id
 * inside its 255-byte memo budget (invoices.ts) with a 64-character route id.
 */
export const REQUEST_LIMITS = {
  /** longest registered method is UPDATEREDIRECTREF (17) */
  methodChars: 20,
  /** DNS name (253) plus ":port" headroom */
  hostChars: 270,
  /** path and query, as Envoy's and Caddy's default request-line bound */
  targetChars: 8192,
  /** Envoy's default `max_request_headers_count` is 100 */
  headerCount: 128,
  headerNameChars: 256,
  headerValueChars: 16 * 1024,
  /** Envoy's default `max_request_headers_kb` is 60 */
  headerTotalChars: 64 * 1024,
  requestIdChars: 256,
  sourceAddressChars: 128,
  schemeChars: 16,
} as const;

/** RFC 9110 §5.6.2 token (the grammar of a method and a field name). */
const TOKEN_RE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** RFC 3986 authority characters without userinfo's "@"; empty is allowed (HTTP/1.0, no :authority). */
const HOST_RE = /^[A-Za-z0-9._~!$&'()*+,;=:%[\]-]*$/;
/** whitespace, C0 controls and DEL: never valid raw in a request target, a request id or an address */
const RAW_CONTROL_RE = /[\s\x00-\x1f\x7f]/;
const SCHEME_RE = /^[a-z][a-z0-9+.-]*$/;

/**
 * The first limit a request breaks, as a sentence for the 400 body; undefined when it is within all.
 * Pure and allocation-light: it runs on every check.
 */
export function requestProblem(facts: RequestFacts): string | undefined {
  const L = REQUEST_LIMITS;
  const { method, host, pathWithQuery } = facts;
  if (method.length === 0 || method.length > L.methodChars || !TOKEN_RE.test(method)) {
    return `method must be an HTTP token of 1-${L.methodChars} characters`;
  }
  if (host.length > L.hostChars || !HOST_RE.test(host)) return `host must be an authority of at most ${L.hostChars} characters`;
  if (
    pathWithQuery.length === 0 ||
    pathWithQuery.length > L.targetChars ||
    pathWithQuery[0] !== "/" ||
    RAW_CONTROL_RE.test(pathWithQuery)
  ) {
    return `path must start with "/" and have at most ${L.targetChars} characters without spaces or control characters`;
  }
  if (facts.scheme.length > L.schemeChars || !SCHEME_RE.test(facts.scheme)) return "scheme must be a URI scheme";
  if (facts.requestId !== undefined && (facts.requestId.length > L.requestIdChars || RAW_CONTROL_RE.test(facts.requestId))) {
    return `request id must have at most ${L.requestIdChars} characters without spaces or control characters`;
  }
  if (
    facts.sourceAddress !== undefined &&
    (facts.sourceAddress.length > L.sourceAddressChars || RAW_CONTROL_RE.test(facts.sourceAddress))
  ) {
    return "source address is malformed";
  }
  return headersProblem(facts.headers);
}

function headersProblem(headers: Readonly<Record<string, string>>): string | undefined {
  const L = REQUEST_LIMITS;
  let count = 0;
  let total = 0;
  for (const name in headers) {
    const value = headers[name]!;
    if (++count > L.headerCount) return `at most ${L.headerCount} request headers`;
    if (name.length > L.headerNameChars) return `header names have at most ${L.headerNameChars} characters`;
    if (value.length > L.headerValueChars) return `header ${name.slice(0, 64)} is over ${L.headerValueChars} characters`;
    total += name.length + value.length;
    if (total > L.headerTotalChars) return `request headers are over ${L.headerTotalChars} characters in total`;
  }
  return undefined;
}
