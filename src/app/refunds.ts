/**
 * Fair billing, wired: Envoy access log entries (transport/envoy/access-log.ts) → refund policy and
 * reason (core/refunds.ts) → the store's once-only refund (store/refunds.ts) → metrics and log lines.
 * Only entries with a status in GATEWAY_REFUND_ON reach the database; a store outage loses that
 * refund (counted as `error` and logged with the decision id, so an operator can refund by hand).
 */
import type { Logger } from "pino";
import { refundReason, type RefundPolicy } from "../core/refunds.js";
import type { Metrics } from "../observability/metrics.js";
import type { ChargeKind, RefundPort } from "../ports/refunds.js";
import type { AccessLogSink, LoggedResponse } from "../transport/envoy/access-log.js";

export interface RefundSinkOptions {
  readonly policy: RefundPolicy;
  /** ms: charges older than this are not refunded (GATEWAY_REFUND_WINDOW) */
  readonly windowMs: number;
  readonly refunds: RefundPort;
  readonly metrics: Metrics;
  readonly log: Logger;
}

/** Result label of gate402_access_log_entries_total. */
export type EntryResult = "served" | "not_charged" | "refunded" | "duplicate" | "expired" | "unknown" | "error";

const CHARGED: ReadonlySet<string> = new Set<ChargeKind>(["prepaid", "invoice"]);

/** Handles one logged response; @returns its result label. Never rejects. */
export async function handleLoggedResponse(o: RefundSinkOptions, e: LoggedResponse): Promise<EntryResult> {
  if (!o.policy.refunds(e.status)) return "served";
  if (e.denied || (e.payMethod !== undefined && !CHARGED.has(e.payMethod))) return "not_charged";
  const reason = refundReason({ status: e.status, flags: e.flags });
  try {
    const outcome = await o.refunds.refund({
      decisionId: e.decisionId, charge: e.payMethod as ChargeKind | undefined, status: e.status, reason, windowMs: o.windowMs,
    });
    if (outcome.kind === "refunded") {
      o.metrics.refunds.inc({ route: outcome.routeId, method: outcome.charge, reason });
      // prom counters are float64; exact for < 2^53 uneutaro
      o.metrics.refundedMicro.inc({ route: outcome.routeId, method: outcome.charge }, Number(outcome.amountMicro));
      o.log.info({ decisionId: e.decisionId, charge: outcome.charge, route: outcome.routeId, status: e.status, reason,
        amountMicro: outcome.amountMicro.toString(), clientId: outcome.clientId, invoiceId: outcome.invoiceId }, "charge refunded: upstream failed");
    } else {
      o.log.debug({ decisionId: e.decisionId, status: e.status, result: outcome.kind }, "no refund");
    }
    return outcome.kind;
  } catch (err) {
    o.log.error({ err, decisionId: e.decisionId, status: e.status, reason }, "refund failed; charge not reversed");
    return "error";
  }
}

/**
 * Refunds of one batch in flight at once. Each is a short transaction; more than one keeps up with an
 * upstream outage (Envoy drops access log entries when the stream backs up) while leaving most of the
 * pool (GATEWAY_DB_POOL_MAX) to the decision path.
 */
export const REFUND_CONCURRENCY = 4;

/** The access log sink: each entry counted by result; refunds of a batch run REFUND_CONCURRENCY at a time. */
export function refundSink(o: RefundSinkOptions): AccessLogSink {
  return async (entries) => {
    let next = 0;
    const worker = async () => {
      while (next < entries.length) {
        const e = entries[next++]!;
        o.metrics.accessLogEntries.inc({ result: await handleLoggedResponse(o, e) });
      }
    };
    await Promise.all(Array.from({ length: Math.min(REFUND_CONCURRENCY, entries.length) }, worker));
  };
}
