/**
 * Fair billing: which upstream results give the charge back (GATEWAY_REFUND_ON) and why, as a bounded
 * reason. Pure: the access log adapter supplies the facts, the store applies the refund once.
 */
import type { RefundReason } from "../ports/refunds.js";

/** The set of HTTP statuses that refund: classes ("5xx") and single codes ("429"). */
export interface RefundPolicy {
  /** the setting as written, normalised (e.g. "5xx,429"); "" when refunds are off */
  readonly spec: string;
  refunds(status: number): boolean;
}

/** GATEWAY_REFUND_ON could not be parsed. */
export class RefundPolicyError extends Error {
  constructor(readonly entry: string) {
    super(`"${entry}" is neither a status class (1xx…5xx), a status (100–599) nor "none"`);
    this.name = "RefundPolicyError";
  }
}

/**
 * Parses GATEWAY_REFUND_ON: comma-separated status classes (`5xx`) and codes (`404`); `none` or ""
 * turns refunds off. Default `5xx`. @throws RefundPolicyError naming the first bad entry
 */
export function parseRefundPolicy(spec: string): RefundPolicy {
  const classes = new Set<number>();
  const codes = new Set<number>();
  const parts = spec
    .split(",")
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  for (const part of parts) {
    if (part === "none" && parts.length === 1) continue;
    const cls = /^([1-5])xx$/.exec(part);
    if (cls) classes.add(Number(cls[1]));
    else if (/^[1-5][0-9]{2}$/.test(part)) codes.add(Number(part));
    else throw new RefundPolicyError(part);
  }
  const normalised = [...[...classes].sort().map((c) => `${c}xx`), ...[...codes].sort()].join(",");
  return Object.freeze({
    spec: normalised,
    refunds: (status: number) => Number.isInteger(status) && (classes.has(Math.floor(status / 100)) || codes.has(status)),
  });
}

/** What Envoy's access log says about how the upstream answered (the subset a refund needs). */
export interface UpstreamFailureFacts {
  /** HTTP status sent downstream */
  readonly status: number;
  /** Envoy response flags that were set (access log ResponseFlags field names) */
  readonly flags: ReadonlySet<string>;
}

/**
 * The bounded reason label of a refund: the Envoy response flag that explains the failure when one
 * is set, else `upstream_5xx` for a 5xx the upstream sent, else `status` (a configured non-5xx code).
 */
export function refundReason(f: UpstreamFailureFacts): RefundReason {
  const has = (...names: string[]) => names.some((n) => f.flags.has(n));
  if (has("upstream_request_timeout", "stream_idle_timeout", "upstream_max_stream_duration_reached")) return "upstream_timeout";
  if (has("upstream_connection_failure", "dns_resolution_failure")) return "upstream_connect_failure";
  if (has("no_healthy_upstream", "no_cluster_found")) return "no_healthy_upstream";
  if (has("upstream_overflow", "upstream_retry_limit_exceeded", "overload_manager")) return "upstream_overflow";
  if (has("upstream_remote_reset", "upstream_connection_termination", "local_reset", "upstream_protocol_error")) return "upstream_reset";
  return f.status >= 500 ? "upstream_5xx" : "status";
}
