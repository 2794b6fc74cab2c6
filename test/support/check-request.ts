/**
 * Envoy-shaped CheckRequests (as Envoy 1.2x sends them: pseudo-headers, lowercased names,
 * attributes.request.http, source/destination sockets, context_extensions) and readers for the
 * decoded CheckResponse, for end-to-end tests through a real gRPC client.
 */
import { randomUUID } from "node:crypto";
import type { DecodedCheckResponse } from "../../src/transport/envoy/types.js";

export interface CheckInput {
  method?: string;
  path?: string;
  host?: string;
  /** :scheme and x-forwarded-proto; default "https" */
  scheme?: string;
  headers?: Record<string, string>;
  contextExtensions?: Record<string, string>;
  /** the peer IP Envoy saw (attributes.source); default 10.0.0.7 */
  sourceAddress?: string;
}

export function envoyCheck(i: CheckInput = {}): object {
  const method = i.method ?? "GET";
  const path = i.path ?? "/api/data";
  const host = i.host ?? "api.example.com";
  const scheme = i.scheme ?? "https";
  const id = randomUUID();
  const headers: Record<string, string> = {
    ":authority": host,
    ":method": method,
    ":path": path,
    ":scheme": scheme,
    "user-agent": "agent/1.0",
    "x-forwarded-proto": scheme,
    "x-request-id": id,
    "x-envoy-expected-rq-timeout-ms": "15000",
    accept: "application/json",
    ...Object.fromEntries(Object.entries(i.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
  };
  return {
    attributes: {
      source: { address: { socket_address: { address: i.sourceAddress ?? "10.0.0.7", port_value: 51234 } } },
      destination: { address: { socket_address: { address: "10.0.0.9", port_value: 8080 } } },
      request: {
        time: { seconds: String(Math.floor(Date.now() / 1000)), nanos: 0 },
        http: { id, method, headers, path, host, scheme, protocol: "HTTP/1.1" },
      },
      context_extensions: i.contextExtensions ?? {},
    },
  };
}

/** HTTP status of a deny (number), or 200 for allow. */
export function httpStatus(res: DecodedCheckResponse): number {
  if (res.ok_response || res.status?.code === 0) return 200;
  const code = (res.denied_response as { status?: { code?: string | number } } | null)?.status?.code;
  const names: Record<string, number> = {
    PaymentRequired: 402,
    BadRequest: 400,
    Unauthorized: 401,
    Forbidden: 403,
    TooManyRequests: 429,
    ServiceUnavailable: 503,
  };
  return typeof code === "number" ? code : (names[String(code)] ?? -1);
}

type HVO = { header?: { key?: string; value?: string } };
function headerMap(list: readonly HVO[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const h of list ?? []) if (h.header?.key) out[h.header.key.toLowerCase()] = h.header.value ?? "";
  return out;
}

/** Deny body parsed as JSON. */
export function deniedBody(res: DecodedCheckResponse): any {
  return JSON.parse(String((res.denied_response as { body?: string } | null)?.body ?? "null"));
}
export function deniedHeaders(res: DecodedCheckResponse): Record<string, string> {
  return headerMap((res.denied_response as { headers?: HVO[] } | null)?.headers);
}
export function okHeaders(res: DecodedCheckResponse): Record<string, string> {
  return headerMap((res.ok_response as { headers?: HVO[] } | null)?.headers);
}
export function okResponseHeaders(res: DecodedCheckResponse): Record<string, string> {
  return headerMap((res.ok_response as { response_headers_to_add?: HVO[] } | null)?.response_headers_to_add);
}
export function headersToRemove(res: DecodedCheckResponse): string[] {
  return [...((res.ok_response as { headers_to_remove?: string[] } | null)?.headers_to_remove ?? [])];
}
