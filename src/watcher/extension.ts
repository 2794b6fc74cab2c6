/** The payment watcher as a gateway extension (registered in src/app/extensions.ts). */
import type { Logger } from "pino";
import type { EndpointHealth } from "../chain/resilient.js";
import type { GatewayConfig } from "../config/load.js";
import type { Metrics } from "../observability/metrics.js";
import type { StorePort } from "../ports/store.js";
import { watcherMetrics } from "./metrics.js";
import { startPaymentWatcher, type StartWatcherOptions } from "./start.js";

/** What the watcher needs from the running gateway (the app's GatewayContext satisfies it). */
export interface WatcherExtensionContext {
  readonly config: Pick<GatewayConfig, "watcher" | "rpcUrls" | "paymentAddress" | "denom" | "minConfirmations">;
  readonly databaseUrl: string;
  readonly codec: StartWatcherOptions["codec"];
  readonly store: Pick<StorePort, "creditDeposit">;
  readonly log: Logger;
  readonly metrics: Metrics;
  /** the decision path's endpoint health verdicts */
  readonly chain: { readonly resilient: { healthOf(name: string): EndpointHealth } };
}

/**
 * Starts the watcher when GATEWAY_WATCHER is on. Every replica runs it; one holds the lock and writes,
 * the others stand by.
 */
export function paymentWatcher(ctx: WatcherExtensionContext): { stop(): Promise<void> } | void {
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
