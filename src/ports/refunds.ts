/**
 * Refund port: gives back what one allowed request was charged when the upstream failed to serve it
 * (Envoy's access log reported a status in GATEWAY_REFUND_ON). Implemented by src/store/refunds.ts.
 *
 * Contract: a decision id is refunded at most once, whatever the number of calls, concurrent or on
 * many replicas (a unique key claimed in the same transaction as the money change); a refund never
 * gives back more than the charge (prepaid: exactly the debit; invoice: one use, never above `uses`).
 * Throws StoreUnavailableError when the database cannot be reached; expected outcomes are values.
 */

/** What the decision charged, as its dynamic metadata states (`method`); unknown: try both. */
export type ChargeKind = "prepaid" | "invoice";

/** Bounded label: why the refund was given (see core/refunds.ts refundReason). */
export type RefundReason =
  | "upstream_timeout"
  | "upstream_reset"
  | "upstream_connect_failure"
  | "no_healthy_upstream"
  | "upstream_overflow"
  | "upstream_5xx"
  | "status";

export interface RefundInput {
  /** the ext_authz decision id of the allow (dynamic_metadata.decision_id) */
  readonly decisionId: string;
  /** from the allow's metadata `method`; undefined: look the decision up as both */
  readonly charge?: ChargeKind;
  /** HTTP status Envoy logged (100–599) */
  readonly status: number;
  readonly reason: RefundReason;
  /** ms: a charge older than this (database clock) is no longer refunded */
  readonly windowMs: number;
  /**
   * when the request started (Envoy's access log start_time); its charge is no older. Lets a call whose
   * per-call usage detail retention dropped be answered `expired` (beyond the window) rather than `unknown`.
   */
  readonly requestedAt?: Date;
}

/**
 * - `refunded`: this call reversed the charge (`amountMicro`: smallest units of the charged asset given back —
 *   uneutaro unless `denom` says otherwise; invoice: price ÷ uses)
 * - `duplicate`: the decision was refunded before (another delivery, another replica)
 * - `expired`: the charge exists but is older than the window, or (no charge found) the request itself
 *   started before the window: whatever it was charged is past refunding (usage detail of calls that old
 *   may already be dropped by retention, GATEWAY_USAGE_RETENTION ≥ the window)
 * - `unknown`: no charge with this decision id (foreign decision, free route, pass, or a redemption
 *   recorded before decision ids were)
 */
export type RefundOutcome =
  | {
      readonly kind: "refunded";
      readonly charge: ChargeKind;
      readonly routeId: string;
      readonly amountMicro: bigint;
      readonly clientId?: string;
      readonly invoiceId?: string;
      /** prepaid: the asset given back to when it is not the primary one (the asset the debit took) */
      readonly network?: string;
      readonly denom?: string;
    }
  | { readonly kind: "duplicate" }
  | { readonly kind: "expired" }
  | { readonly kind: "unknown" };

export interface RefundPort {
  /** Reverses the charge of `input.decisionId` at most once; see the module contract. */
  refund(input: RefundInput): Promise<RefundOutcome>;
}
