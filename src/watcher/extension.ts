/** The payment watcher as a gateway extension (registered in src/app/extensions.ts). */
import type { GatewayContext } from "../app/gateway.js";
import { watcherMetrics } from "./metrics.js";
import { startPaymentWatcher } from "./start.js";

/**
 * Starts the watcher when GATEWAY_WATCHER is on. Every replica runs it; one holds the lock and writes,
 * the others stand by.
 */
export function paymentWatcher(ctx: GatewayContext): { stop(): Promise<void> } | void {
  const w = ctx.config.watcher;
  if (!w.enabled) return;
  const handle = startPaymentWatcher({
    databaseUrl: ctx.databaseUrl, rpcUrls: ctx.config.rpcUrls, payTo: ctx.config.paymentAddress, denom: ctx.config.denom,
    codec: ctx.codec, store: ctx.store, log: ctx.log,
    settings: { ...w, minConfirmations: ctx.config.minConfirmations },
    metrics: watcherMetrics(ctx.metrics), chainMetrics: ctx.metrics, healthFrom: ctx.chain.resilient,
  });
  return { stop: () => handle.stop() };
}
