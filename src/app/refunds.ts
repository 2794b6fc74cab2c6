/**
 * Fair billing, wired: Envoy access log entries (transport/envoy/access-log.ts) → refund policy and
 * reason (core/refunds.ts) → the store's once-only refund (store/refunds.ts) → metrics and log lines.
 * Only entries with a status in GATEWAY_REFUND_ON reach the database. A refund the store could not
 * write (outage) is retried in the background (refund-retry.ts) until it is written or its charge is
 * older than the window; only then is it lost (`error`, logged with the decision id for a manual refund).
 */
import type { Logger } from "pino";
import { refundReason, type RefundPolicy } from "../core/refunds.js";
import type { Metrics } from "../observability/metrics.js";
import type { ChargeKind, RefundPort } from "../ports/refunds.js";
import type { AccessLogSink, LoggedResponse } from "../transport/envoy/access-log.js";
import { RetryQueue, type RetryOptions } from "./refund-retry.js";

export interface RefundSinkOptions {
  readonly policy: RefundPolicy;
  /** ms: charges older than this are not refunded (GATEWAY_REFUND_WINDOW) */
  readonly windowMs: number;
  readonly refunds: RefundPort;
  readonly metrics: Metrics;
  readonly log: Logger;
}

/** Result label of gate402_access_log_entries_total. */
export type EntryResult = "served" | "not_charged" | "refunded" | "duplicate" | "expired" | "unknown" | "retrying" | "error";

const CHARGED: ReadonlySet<string> = new Set<ChargeKind>(["prepaid", "invoice"]);

/** Handles one logged response; @returns its result label. Never rejects. */
export async function handleLoggedResponse(o: RefundSinkOptions, e: LoggedResponse): Promise<EntryResult> {
  if (!o.policy.refunds(e.status)) return "served";
  if (e.denied || (e.payMethod !== undefined && !CHARGED.has(e.payMethod))) return "not_charged";
  const reason = refundReason({ status: e.status, flags: e.flags });
  try {
    const outcome = await o.refunds.refund({
      decisionId: e.decisionId,
      charge: e.payMethod as ChargeKind | undefined,
      status: e.status,
      reason,
      windowMs: o.windowMs,
      ...(e.startedAt ? { requestedAt: e.startedAt } : {}),
    });
    if (outcome.kind === "refunded") {
      o.metrics.refunds.inc({ route: outcome.routeId, method: outcome.charge, reason });
      // prom counters are float64; exact for < 2^53 uneutaro. Refunds in another asset (a prepaid balance in
      // another denom) are counted in gate402_refunds_total only: this counter is in uneutaro.
      if (outcome.denom === undefined) {
        o.metrics.refundedMicro.inc({ route: outcome.routeId, method: outcome.charge }, Number(outcome.amountMicro));
      }
      o.log.info(
        {
          decisionId: e.decisionId,
          charge: outcome.charge,
          route: outcome.routeId,
          status: e.status,
          reason,
          amountMicro: outcome.amountMicro.toString(),
          denom: outcome.denom,
          clientId: outcome.clientId,
          invoiceId: outcome.invoiceId,
        },
        "charge refunded: upstream failed",
      );
    } else {
      o.log.debug({ decisionId: e.decisionId, status: e.status, result: outcome.kind }, "no refund");
    }
    return outcome.kind;
  } catch (err) {
    o.log.warn({ err, decisionId: e.decisionId, status: e.status, reason }, "refund not written yet; will retry");
    return "retrying";
  }
}

/**
 * Refunds of one batch in flight at once. Each is a short transaction; more than one keeps up with an
 * upstream outage (Envoy drops access log entries when the stream backs up) while leaving most of the
 * pool (GATEWAY_DB_POOL_MAX) to the decision path.
 */
export const REFUND_CONCURRENCY = 4;

/** Runs `fn` over `items`, `limit` at a time. */
async function eachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/** The access log sink and its retry queue; stop() ends the retries (at shutdown, after the streams). */
export interface Refunder {
  readonly sink: AccessLogSink;
  /** refunds waiting for a retry */
  pending(): number;
  stop(): void;
}

/**
 * Each entry is counted by result; refunds of a batch run REFUND_CONCURRENCY at a time; a refund the
 * store could not write is queued for retry (RetryQueue) instead of being lost.
 */
export function createRefunder(o: RefundSinkOptions, retry: Partial<RetryOptions> = {}): Refunder {
  const queue = new RetryQueue<LoggedResponse>(
    { ...retry, maxAgeMs: o.windowMs },
    {
      attempt: async (e) => {
        const result = await handleLoggedResponse(o, e);
        if (result !== "retrying") o.metrics.accessLogEntries.inc({ result });
        return result !== "retrying";
      },
      abandon: (e, why) => {
        o.metrics.accessLogEntries.inc({ result: "error" });
        o.log.error({ decisionId: e.decisionId, status: e.status, why }, "refund abandoned; charge not reversed (refund it by hand)");
      },
    },
  );
  return {
    sink: (entries) =>
      eachLimited(entries, REFUND_CONCURRENCY, async (e) => {
        const result = await handleLoggedResponse(o, e);
        o.metrics.accessLogEntries.inc({ result });
        if (result === "retrying") queue.add(e);
      }),
    pending: () => queue.size(),
    stop: () => queue.stop(),
  };
}
