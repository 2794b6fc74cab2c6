import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/**
 * Every gate402 metric (docs/design.md "Metrics"). Labels are bounded: route ids come from config or
 * context_extensions, never raw paths or client ids. One registry per app instance so tests can run
 * several apps in one process.
 */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const r = [registry];
  return {
    registry,
    checks: new Counter({
      name: "gate402_checks_total",
      help: "Authorization checks by transport, outcome, payment method and route id",
      labelNames: ["transport", "outcome", "method", "route"] as const,
      registers: r,
    }),
    checkDuration: new Histogram({
      name: "gate402_check_duration_seconds",
      help: "Decision latency in seconds",
      labelNames: ["transport", "outcome"] as const,
      registers: r,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    }),
    invoicesIssued: new Counter({
      name: "gate402_invoices_issued_total",
      help: "Invoices issued (402 answers), by route id",
      labelNames: ["route"] as const,
      registers: r,
    }),
    payments: new Counter({
      name: "gate402_payments_total",
      help: "Payments (invoice redemptions and deposits) accepted or rejected, by reason",
      labelNames: ["kind", "result", "reason"] as const,
      registers: r,
    }),
    revenue: new Counter({
      name: "gate402_revenue_uneutaro_total",
      help: "Revenue in uneutaro by route id and payment method",
      labelNames: ["route", "method"] as const,
      registers: r,
    }),
    // network and denom come from GatewayConfig.assets only (an invoice verifies only for a configured asset): bounded
    assetRevenue: new Counter({
      name: "gate402_asset_revenue_total",
      help: "Revenue in the smallest unit of the other accepted assets (GATEWAY_ASSETS), by route id, payment method, network and denom",
      labelNames: ["route", "method", "network", "denom"] as const,
      registers: r,
    }),
    refunds: new Counter({
      name: "gate402_refunds_total",
      help: "Charges reversed because the upstream failed (Envoy access log), by route id, payment method and reason",
      labelNames: ["route", "method", "reason"] as const,
      registers: r,
    }),
    refundedMicro: new Counter({
      name: "gate402_refunds_uneutaro_total",
      help: "Value given back by refunds in uneutaro (invoice: price per use), by route id and payment method",
      labelNames: ["route", "method"] as const,
      registers: r,
    }),
    accessLogEntries: new Counter({
      name: "gate402_access_log_entries_total",
      help: "Envoy access log entries carrying a decision, by what they caused (served, refunded, duplicate, expired, unknown, not_charged; retrying: not written yet, counted again when settled; error: refund given up)",
      labelNames: ["result"] as const,
      registers: r,
    }),
    offerRevenue: new Counter({
      name: "gate402_offer_revenue_uneutaro_total",
      help: "Revenue in uneutaro of paid invoices, once per payment, by offer kind (single, bundle, pass)",
      labelNames: ["offer"] as const,
      registers: r,
    }),
    passesIssued: new Counter({ name: "gate402_passes_issued_total", help: "Pass tokens issued", registers: r }),
    passChecks: new Counter({
      name: "gate402_pass_checks_total",
      help: "Presented passes checked in memory, by result (valid, expired, revoked, invalid, wrong_scope)",
      labelNames: ["result"] as const,
      registers: r,
    }),
    prepaidDebits: new Counter({
      name: "gate402_prepaid_debits_total",
      help: "Prepaid debit attempts by result",
      labelNames: ["result"] as const,
      registers: r,
    }),
    chainRequests: new Counter({
      name: "gate402_chain_requests_total",
      help: "Chain RPC calls by method and outcome",
      labelNames: ["rpc_method", "outcome"] as const,
      registers: r,
    }),
    chainDuration: new Histogram({
      name: "gate402_chain_request_duration_seconds",
      help: "Chain RPC latency in seconds",
      labelNames: ["rpc_method"] as const,
      registers: r,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5],
    }),
    chainHeight: new Gauge({ name: "gate402_chain_latest_height", help: "Latest chain height seen", registers: r }),
    // Per configured network (label values: the CAIP-2 ids of GatewayConfig.networks, bounded by config).
    networkUp: new Gauge({
      name: "gate402_network_up",
      help: "1 while the network's chain answered its last height poll (payments on it are checked), else 0",
      labelNames: ["network"] as const,
      registers: r,
    }),
    networkHeight: new Gauge({
      name: "gate402_network_latest_height",
      help: "Latest height seen per configured network",
      labelNames: ["network"] as const,
      registers: r,
    }),
    networkWatcherLag: new Gauge({
      name: "gate402_network_watcher_lag_blocks",
      help: "Blocks between each network's head and its payment watcher cursor",
      labelNames: ["network"] as const,
      registers: r,
    }),
    watcherLag: new Gauge({
      name: "gate402_chain_watcher_lag_blocks",
      help: "Blocks between the chain head and the payment watcher cursor",
      registers: r,
    }),
    watcherHeight: new Gauge({ name: "gate402_chain_watcher_height", help: "Height the payment watcher has indexed up to", registers: r }),
    poolTotal: new Gauge({ name: "gate402_db_pool_connections", help: "Postgres pool connections", registers: r }),
    poolIdle: new Gauge({ name: "gate402_db_pool_idle", help: "Idle Postgres pool connections", registers: r }),
    poolWaiting: new Gauge({ name: "gate402_db_pool_waiting", help: "Queries waiting for a Postgres pool connection", registers: r }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/** Label values of the offer metrics, exported at 0 from the start so dashboards never query a missing series. */
export const OFFER_KINDS = ["single", "bundle", "pass"] as const;
export const PASS_CHECK_RESULTS = ["valid", "expired", "revoked", "invalid", "wrong_scope"] as const;

/** Zero-initialises the bounded label sets of the offer and pass metrics. */
export function initOfferMetrics(m: Metrics): void {
  for (const offer of OFFER_KINDS) m.offerRevenue.inc({ offer }, 0);
  for (const result of PASS_CHECK_RESULTS) m.passChecks.inc({ result }, 0);
}
