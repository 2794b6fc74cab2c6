import type { Logger } from "pino";
import type { CoreEvents } from "../core/context.js";
import type { Metrics } from "./metrics.js";

/**
 * CoreEvents → metrics and log lines. Payment and deposit events are logged at info with
 * invoiceId/txHash/clientId; never a key or secret.
 */
export function metricsEvents(m: Metrics, log: Logger): CoreEvents {
  return {
    invoiceIssued: (e) => m.invoicesIssued.inc({ route: e.routeId }),
    payment: (e) => {
      m.payments.inc({ kind: e.kind, result: e.result, reason: e.reason });
      const fields = {
        kind: e.kind,
        result: e.result,
        reason: e.reason,
        route: e.routeId,
        invoiceId: e.invoiceId,
        txHash: e.txHash,
        payer: e.payer,
        amountMicro: e.amountMicro?.toString(),
        decisionId: e.decisionId,
      };
      if (e.result === "accepted") log.info(fields, "payment accepted");
      else log.info(fields, "payment rejected");
    },
    // prom counters are float64; exact for < 2^53 smallest units. A denom named: another asset than the primary.
    revenue: (e) =>
      e.denom === undefined
        ? m.revenue.inc({ route: e.routeId, method: e.method }, Number(e.amountMicro))
        : m.assetRevenue.inc({ route: e.routeId, method: e.method, network: e.network ?? "", denom: e.denom }, Number(e.amountMicro)),
    offerRevenue: (e) => m.offerRevenue.inc({ offer: e.offer }, Number(e.amountMicro)),
    passIssued: (e) => {
      m.passesIssued.inc();
      log.info({ scope: e.scope, jti: e.jti, payer: e.payer, decisionId: e.decisionId }, "pass issued");
    },
    passCheck: (e) => m.passChecks.inc({ result: e.result }),
    prepaidDebit: (e) => {
      m.prepaidDebits.inc({ result: e.result });
      log.debug(
        { clientId: e.clientId, result: e.result, route: e.routeId, amountMicro: e.amountMicro.toString(), decisionId: e.decisionId },
        "prepaid debit",
      );
    },
  };
}
