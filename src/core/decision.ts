import type { ReasonCode } from "./reasons.js";

/**
 * The decision core's answer: a discriminated union that adapters render (ext_authz CheckResponse
 * ok_response/denied_response, or an HTTP forward-auth reply). Never carries grpc/fastify/pg types.
 */
export type Decision = AllowDecision | DenyDecision;

/** How the request was (or would have been) paid; a metric label. */
export type PayMethod = "invoice" | "prepaid" | "pass" | "free" | "none";

/** Metric outcome label. */
export type Outcome = "allow" | "payment_required" | "denied" | "error";

export interface AllowDecision {
  readonly kind: "allow";
  /** unique id of this decision; goes to dynamic_metadata and the log line */
  readonly decisionId: string;
  readonly method: PayMethod;
  /** route id the price came from (bounded: from config, or "default") */
  readonly routeId: string;
  /** price charged, in uneutaro (bigint); 0n for free routes */
  readonly priceMicro: bigint;
  /** headers to add to the request that goes upstream (ok_response.headers) */
  readonly upstreamHeaders: Readonly<Record<string, string>>;
  /** request header names (lowercase) to strip before upstream (ok_response.headers_to_remove) */
  readonly headersToRemove: readonly string[];
  /** headers to add to the response the client gets (ok_response.response_headers_to_add) */
  readonly responseHeaders: Readonly<Record<string, string>>;
}

export interface DenyDecision {
  readonly kind: "deny";
  readonly decisionId: string;
  readonly method: PayMethod;
  readonly routeId: string;
  readonly outcome: Exclude<Outcome, "allow">;
  /** HTTP status for the client: 400, 401, 402, 403, 429 or 503 */
  readonly status: number;
  readonly reason: ReasonCode;
  /** response headers for the client (content-type, PAYMENT-REQUIRED, Retry-After …) */
  readonly headers: Readonly<Record<string, string>>;
  /** JSON body; all amounts already strings (no bigint inside) */
  readonly body: Readonly<Record<string, unknown>>;
}
