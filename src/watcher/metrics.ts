/**
 * Watcher metrics. Lag and height gauges are the app's (gate402_chain_watcher_*); the payment counter
 * and the leader gauge are registered here on the same registry (once, even with several watchers in
 * one process, as in tests).
 */
import { Counter, Gauge, type Registry } from "prom-client";
import type { Gauge as GaugeT } from "prom-client";
import type { PaymentStatus } from "../ports/payments.js";

export interface WatcherMetrics {
  /** blocks between the chain head and the cursor */
  readonly lag: { set(v: number): void };
  /** height indexed up to */
  readonly height: { set(v: number): void };
  /** 1 while this replica holds the watcher lock */
  readonly leader: { set(v: number): void };
  /** payments newly recorded, by status */
  recorded(status: PaymentStatus, n?: number): void;
}

function counterOn(registry: Registry): Counter<"status"> {
  const name = "gate402_watcher_payments_total";
  return (
    (registry.getSingleMetric(name) as Counter<"status"> | undefined) ??
    new Counter({
      name,
      help: "Incoming payments recorded by the payment watcher, by status",
      labelNames: ["status"] as const,
      registers: [registry],
    })
  );
}

function leaderOn(registry: Registry): GaugeT {
  const name = "gate402_watcher_leader";
  return (
    (registry.getSingleMetric(name) as GaugeT | undefined) ??
    new Gauge({ name, help: "1 while this replica holds the payment watcher lock, else 0", registers: [registry] })
  );
}

/** Watcher metrics over the app's registry and its two watcher gauges. */
export function watcherMetrics(app: { registry: Registry; watcherLag: GaugeT; watcherHeight: GaugeT }): WatcherMetrics {
  const payments = counterOn(app.registry);
  const leader = leaderOn(app.registry);
  return {
    lag: app.watcherLag,
    height: app.watcherHeight,
    leader,
    recorded: (status, n = 1) => payments.inc({ status }, n),
  };
}

/**
 * One network's watcher metrics. The primary's lag and height go to the legacy single-series gauges
 * (gate402_chain_watcher_*) and its lock to gate402_watcher_leader; every network's lag also to
 * gate402_network_watcher_lag_blocks{network}. Payments recorded count in one counter for all networks.
 */
export function networkWatcherMetrics(
  app: { registry: Registry; watcherLag: GaugeT; watcherHeight: GaugeT; networkWatcherLag: GaugeT<"network"> },
  network: { readonly id: string; readonly primary: boolean },
): WatcherMetrics {
  const base = network.primary ? watcherMetrics(app) : { ...noWatcherMetrics, recorded: watcherMetrics(app).recorded };
  const labels = { network: network.id };
  return {
    ...base,
    lag: {
      set: (v) => {
        base.lag.set(v);
        app.networkWatcherLag.set(labels, v);
      },
    },
  };
}

/** Metrics that go nowhere (standalone watchers in tests and the benchmark). */
export const noWatcherMetrics: WatcherMetrics = { lag: { set() {} }, height: { set() {} }, leader: { set() {} }, recorded() {} };
