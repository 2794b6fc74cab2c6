/**
 * HTTP authorization request → RequestFacts (transport "http"), for the two ways proxies ask over HTTP:
 * - forward auth (Caddy `forward_auth`, Traefik `ForwardAuth`): the original method, host, URI and
 *   scheme arrive in X-Forwarded-Method/-Host/-Uri/-Proto; the other headers are the client's;
 * - Envoy ext_authz `http_service` / Istio `envoyExtAuthzHttp`: this request *is* the original one,
 *   with its path behind a configured prefix.
 * All input is untrusted: it is checked here and never crashes the caller.
 */
import type { RequestFacts } from "../../core/facts.js";
import { stripQuery } from "../../core/path.js";

/** The parts of an incoming HTTP request the mapping reads (fastify's `req.raw` fits). */
export interface HttpAuthRequest {
  /** this request's method, e.g. "GET" */
  readonly method: string;
  /** this request's raw target, path and query, e.g. "/auth/forward?route=premium" */
  readonly url: string;
  /** Node's lowercased header map; repeated headers as arrays */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

/** The request cannot describe an original request; rendered as 400 INVALID_REQUEST. */
export class InvalidAuthRequestError extends Error {
  override readonly name = "InvalidAuthRequestError";
  /** human-readable problems, e.g. "X-Forwarded-Method: missing" */
  readonly issues: readonly string[];
  constructor(issues: readonly string[]) {
    super(`invalid authorization request: ${issues.join("; ")}`);
    this.issues = issues;
  }
}

/** Query parameters of the forward-auth URI that play the role of Envoy context_extensions. */
export const CONTEXT_PARAMS = ["price", "route", "free"] as const;

/** RFC 9110 hop-by-hop fields (plus this request's own framing), never part of the original request. */
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "proxy-authorization",
  "proxy-authenticate",
  "content-length",
]);
const TOKEN_RE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,32}$/;
const MAX_TARGET = 8192;

/**
 * Facts for `/auth/forward` (Caddy, Traefik).
 * @returns RequestFacts: method from X-Forwarded-Method (uppercased), host from X-Forwarded-Host
 *   (else Host), path/query from X-Forwarded-Uri (the core normalises the path when pricing, see path.ts), scheme from
 *   X-Forwarded-Proto (else "http"), headers = this request's minus hop-by-hop and X-Forwarded-*,
 *   contextExtensions from this request's own query (`price`, `route`, `free`: set by the proxy config in
 *   the auth URI, which clients cannot reach), sourceAddress = rightmost X-Forwarded-For entry.
 * @throws InvalidAuthRequestError when X-Forwarded-Method or X-Forwarded-Uri is missing or malformed
 */
export function forwardAuthFacts(req: HttpAuthRequest): RequestFacts {
  const h = req.headers;
  const method = single(h["x-forwarded-method"]);
  const uri = single(h["x-forwarded-uri"]);
  const problems = [
    ...(method === undefined ? ["X-Forwarded-Method: missing"] : TOKEN_RE.test(method) ? [] : ["X-Forwarded-Method: not an HTTP method"]),
    ...(uri === undefined
      ? ["X-Forwarded-Uri: missing"]
      : validTarget(uri)
        ? []
        : ['X-Forwarded-Uri: must be an origin-form path starting with "/"']),
  ];
  if (problems.length > 0 || method === undefined || uri === undefined) throw new InvalidAuthRequestError(problems);
  return facts(req, method, uri, firstOf(h["x-forwarded-host"]) ?? hostOf(h), contextOf(req.url));
}

/**
 * Facts for `<prefix>/<original path>` (Envoy `http_service` with `path_prefix`, Istio `pathPrefix`).
 * @param prefix the configured prefix without trailing slash, e.g. "/ext-authz"
 * @returns RequestFacts: method = this request's, path = the target after the prefix ("/" when empty),
 *   host from Host (or :authority), scheme from X-Forwarded-Proto (else "http"), contextExtensions {}
 *   (the query belongs to the client here, so it cannot carry operator settings).
 * @throws InvalidAuthRequestError when the target does not start with the prefix or is malformed
 */
export function extAuthzFacts(req: HttpAuthRequest, prefix: string): RequestFacts {
  if (!req.url.startsWith(prefix)) throw new InvalidAuthRequestError([`path: must start with ${prefix}`]);
  const rest = req.url.slice(prefix.length);
  const target = rest.startsWith("/") ? rest : `/${rest}`;
  const problems = [
    ...(TOKEN_RE.test(req.method) ? [] : ["method: not an HTTP method"]),
    ...(validTarget(target) ? [] : ["path: malformed"]),
  ];
  if (problems.length > 0) throw new InvalidAuthRequestError(problems);
  return facts(req, req.method, target, hostOf(req.headers), Object.create(null) as Record<string, string>);
}

function facts(
  req: HttpAuthRequest,
  method: string,
  target: string,
  host: string,
  contextExtensions: Record<string, string>,
): RequestFacts {
  const h = req.headers;
  const proto = firstOf(h["x-forwarded-proto"])?.toLowerCase();
  const sourceAddress = lastOf(h["x-forwarded-for"]);
  const requestId = single(h["x-request-id"]);
  return {
    transport: "http",
    method: method.toUpperCase(),
    host,
    path: stripQuery(target),
    pathWithQuery: target,
    scheme: proto === "https" ? "https" : "http",
    headers: originalHeaders(h),
    contextExtensions,
    ...(sourceAddress ? { sourceAddress } : {}),
    ...(requestId ? { requestId } : {}),
  };
}

/** The client's headers: lowercased, repeats joined with ", ", minus hop-by-hop, Connection-named and X-Forwarded-*. */
function originalHeaders(h: HttpAuthRequest["headers"]): Record<string, string> {
  const named = new Set(
    (single(h["connection"]) ?? "")
      .split(",")
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean),
  );
  const out: Record<string, string> = Object.create(null);
  for (const [rawKey, value] of Object.entries(h)) {
    const key = rawKey.toLowerCase();
    if (value === undefined || HOP_BY_HOP.has(key) || named.has(key) || key.startsWith("x-forwarded-")) continue;
    out[key] = Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}

/** Operator settings from the auth URI's query, e.g. "/auth/forward?route=premium&price=0.002". */
function contextOf(url: string): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  const q = url.indexOf("?");
  if (q === -1) return out;
  const params = new URLSearchParams(url.slice(q + 1));
  for (const name of CONTEXT_PARAMS) {
    const value = params.get(name);
    if (value !== null) out[name] = value;
  }
  return out;
}

function validTarget(target: string): boolean {
  return target.startsWith("/") && target.length <= MAX_TARGET && !/[\s\x00-\x1f\x7f]/.test(target);
}

function hostOf(h: HttpAuthRequest["headers"]): string {
  return single(h["host"]) ?? single(h[":authority"]) ?? "";
}

function single(v: string | string[] | undefined): string | undefined {
  const s = Array.isArray(v) ? v[0] : v;
  return s === undefined ? undefined : s.trim();
}

/** First entry of a comma list (X-Forwarded-Host/-Proto: the client-facing value). */
function firstOf(v: string | string[] | undefined): string | undefined {
  const s = Array.isArray(v) ? v.join(",") : v;
  const first = s?.split(",")[0]?.trim();
  return first ? first : undefined;
}

/** Last entry of a comma list (X-Forwarded-For: appended by the proxy nearest to us, the one we trust). */
function lastOf(v: string | string[] | undefined): string | undefined {
  const s = Array.isArray(v) ? v.join(",") : v;
  const last = s?.split(",").at(-1)?.trim();
  return last ? last : undefined;
}
