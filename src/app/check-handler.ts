import type { Logger } from "pino";
import { dryRunAllow } from "../core/answers.js";
import type { Decision } from "../core/decision.js";
import type { RequestFacts } from "../core/facts.js";
import type { Gate } from "../core/gate.js";
import { PriceConfigError } from "../core/pricing.js";
import type { Metrics } from "../observability/metrics.js";
import type { CheckHandler } from "../transport/check.js";

export type { CheckHandler };

/**
 * Wraps the decision core for the transports: metrics (gate402_checks_total, duration), one log line
 * per decision with its decision id, and dry-run (log the real decision, allow everything).
 * Errors from the core propagate: transports render them as their "internal error" answer.
 */
export function checkHandler(gate: Gate, metrics: Metrics, log: Logger, dryRun: boolean): CheckHandler {
  // A bad context_extensions price fails every request of its route: say so once per route and cause.
  const reported = new Set<string>();
  const reportOnce = (err: PriceConfigError, facts: RequestFacts): void => {
    const key = `${facts.contextExtensions["route"] ?? ""}\u0000${err.message}`;
    if (reported.has(key) || reported.size >= 1000) return;
    reported.add(key);
    const where = { err, route: facts.contextExtensions["route"], method: facts.method, path: facts.path };
    log.error(where, "context_extensions misconfigured; every request of this route fails (logged once)");
  };
  return async (facts) => {
    const start = process.hrtime.bigint();
    let decision: Decision;
    try {
      decision = await gate.decide(facts);
    } catch (err) {
      metrics.checks.inc({ transport: facts.transport, outcome: "error", method: "none", route: "unknown" });
      if (err instanceof PriceConfigError) {
        reportOnce(err, facts);
        throw err;
      }
      log.error({ err, method: facts.method, path: facts.path, requestId: facts.requestId }, "check failed");
      throw err;
    }
    const outcome = decision.kind === "allow" ? "allow" : decision.outcome;
    metrics.checks.inc({ transport: facts.transport, outcome, method: decision.method, route: decision.routeId });
    metrics.checkDuration.observe({ transport: facts.transport, outcome }, Number(process.hrtime.bigint() - start) / 1e9);
    if (log.isLevelEnabled("debug") || decision.kind === "deny") {
      const fields = {
        decisionId: decision.decisionId,
        outcome,
        reason: decision.kind === "deny" ? decision.reason : undefined,
        route: decision.routeId,
        method: facts.method,
        path: facts.path,
        requestId: facts.requestId,
        dryRun,
      };
      if (decision.kind === "deny" && decision.status >= 500) log.warn(fields, "check denied");
      else log.debug(fields, "check decided");
    }
    // Dry run: the deny becomes an allow that charged nothing (answers.ts).
    return dryRun && decision.kind === "deny" ? dryRunAllow(decision) : decision;
  };
}
