/**
 * RequestFacts: what every transport adapter extracts from the proxied request, and all the decision
 * core ever sees. The ext_authz adapter fills it from a CheckRequest (per Envoy external_auth.proto
 * `AttributeContext.HttpRequest`); the forward-auth adapter from X-Forwarded-* headers.
 */
export type Transport = "grpc" | "http";

export interface RequestFacts {
  /** which adapter asked; a metric label */
  readonly transport: Transport;
  /** uppercase HTTP method of the original request, e.g. "GET" */
  readonly method: string;
  /** original :authority / Host, e.g. "api.example.com" */
  readonly host: string;
  /** original path without the query string, as received, e.g. "/api/data" (pricing normalises it: path.ts) */
  readonly path: string;
  /** original path with query, as received, e.g. "/api/data?x=1" (for the invoice resource URL) */
  readonly pathWithQuery: string;
  /** "http" or "https" */
  readonly scheme: string;
  /** original request headers, names lowercased, values as received */
  readonly headers: Readonly<Record<string, string>>;
  /** Envoy context_extensions (per-route `check_settings.context_extensions`); {} when none */
  readonly contextExtensions: Readonly<Record<string, string>>;
  /** client socket address, "ip" or "ip:port", when known (rate limiting) */
  readonly sourceAddress?: string;
  /** x-request-id or Envoy's attributes.request.http.id, when present */
  readonly requestId?: string;
}
