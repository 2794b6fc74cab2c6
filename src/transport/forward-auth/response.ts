/**
 * Decision → HTTP answer for forward-auth proxies. The proxy reads the status: 2xx lets the request
 * through (copying the headers it is configured to copy), anything else is sent to the client as is.
 */
import { UPSTREAM_HEADERS } from "../../core/answers.js";
import type { AllowDecision, Decision, DenyDecision } from "../../core/decision.js";

/** What the route writes: status, headers (lowercase names) and an optional JSON body. */
export interface HttpAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /** serialized JSON; undefined for an allow (empty body) */
  readonly body?: string;
}

/**
 * Envoy's `http_service` removes the request headers this answer header lists (comma separated) before
 * the request goes upstream — the HTTP counterpart of ok_response.headers_to_remove. Caddy and Traefik
 * ignore it: their configs strip proof headers themselves (docs/forward-auth.md).
 */
export const ENVOY_HEADERS_TO_REMOVE = "x-envoy-auth-headers-to-remove";

/** Renders a decision: allow → 200 with headers only; deny → its status, headers and JSON body. */
export function toHttpAnswer(decision: Decision): HttpAnswer {
  return decision.kind === "allow" ? allowAnswer(decision) : denyAnswer(decision);
}

/**
 * Allow: every x-gate402-* upstream header, always — empty when not applicable — because Caddy 2.6.2
 * forwards a literal "{http.reverse_proxy.header.…}" for a `copy_headers` entry the answer omits; then
 * the client-facing headers (PAYMENT-RESPONSE, prepaid balance) and the Envoy removal list.
 */
function allowAnswer(d: AllowDecision): HttpAnswer {
  const headers: Record<string, string> = Object.create(null);
  for (const name of UPSTREAM_HEADERS) headers[name] = "";
  for (const [key, value] of Object.entries(d.upstreamHeaders)) headers[key.toLowerCase()] = value;
  for (const [key, value] of Object.entries(d.responseHeaders)) headers[key.toLowerCase()] = value;
  const remove = [...new Set(d.headersToRemove.map((h) => h.toLowerCase()))];
  if (remove.length > 0) headers[ENVOY_HEADERS_TO_REMOVE] = remove.join(", ");
  return { status: 200, headers };
}

/** Deny: JSON content-type unless the decision names its own; the decision's status and body. */
function denyAnswer(d: DenyDecision): HttpAnswer {
  const headers: Record<string, string> = Object.create(null);
  headers["content-type"] = "application/json";
  for (const [key, value] of Object.entries(d.headers)) headers[key.toLowerCase()] = value;
  return { status: d.status, headers, body: JSON.stringify(d.body) };
}
