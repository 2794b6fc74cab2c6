/**
 * Assembles a payment watcher: its own chain stack (longer deadline than the decision path, same
 * endpoints and health verdicts), the advisory lease, the pass logic and the loop.
 */
import type { Logger } from "pino";
import { InstrumentedChain } from "../chain/instrumented.js";
import { NeutaroChain } from "../chain/neutaro.js";
import { ResilientChain, type EndpointHealth } from "../chain/resilient.js";
import type { Invoice } from "../core/invoices.js";
import type { Metrics } from "../observability/metrics.js";
import type { StorePort } from "../ports/store.js";
import { AdvisoryLease } from "./lease.js";
import { noWatcherMetrics, type WatcherMetrics } from "./metrics.js";
import { runWatcher, type WatcherHandle } from "./runner.js";
import { PaymentWatcher, type PassResult, type WatcherSettings } from "./watcher.js";

export interface StartWatcherOptions {
  readonly databaseUrl: string;
  /** CometBFT RPC endpoints, failover in order */
  readonly rpcUrls: readonly string[];
  readonly payTo: string;
  readonly denom: string;
  readonly codec: { verify(id: string): Invoice | null };
  readonly store: Pick<StorePort, "creditDeposit">;
  readonly settings: WatcherSettings & {
    /** ms between passes when caught up */
    readonly pollMs: number;
    /** ms between standby lock attempts */
    readonly leasePollMs: number;
    /** ms deadline per watcher chain call */
    readonly timeoutMs: number;
  };
  readonly log: Logger;
  readonly metrics?: WatcherMetrics;
  /** per-endpoint chain metrics (gate402_chain_requests_total …) */
  readonly chainMetrics?: Metrics;
  /** health verdicts of the decision path's endpoints (chain health checker) */
  readonly healthFrom?: { healthOf(name: string): EndpointHealth };
  /** names the lock session: application_name `gate402-watcher:<instance>` */
  readonly instance?: string;
  readonly onPass?: (r: PassResult) => void;
}

/** A started watcher and its pass logic (for one-off passes in tests and the benchmark). */
export interface StartedWatcher extends WatcherHandle {
  readonly watcher: PaymentWatcher;
}

/** Starts a payment watcher in the background; see docs/watcher.md. */
export function startPaymentWatcher(o: StartWatcherOptions): StartedWatcher {
  const log = o.log.child({ component: "watcher", instance: o.instance });
  const endpoints = o.rpcUrls.map((url) => new NeutaroChain(url, o.settings.timeoutMs));
  const chain = new ResilientChain(
    endpoints.map((e) => ({ port: o.chainMetrics ? new InstrumentedChain(e, o.chainMetrics) : e, name: e.rpcUrl })),
    { deadlineMs: o.settings.timeoutMs, healthFrom: o.healthFrom },
  );
  const lease = new AdvisoryLease({
    databaseUrl: o.databaseUrl, recipient: o.payTo, log,
    applicationName: o.instance ? `gate402-watcher:${o.instance}` : "gate402-watcher",
  });
  const metrics = o.metrics ?? noWatcherMetrics;
  const watcher = new PaymentWatcher({
    chain, store: o.store, lease, payTo: o.payTo, denom: o.denom, verifyInvoice: (m) => o.codec.verify(m),
    settings: o.settings, metrics, log,
  });
  const handle = runWatcher(watcher, lease, metrics, log, { pollMs: o.settings.pollMs, leasePollMs: o.settings.leasePollMs, onPass: o.onPass });
  const disconnect = () => { for (const e of endpoints) e.disconnect(); };
  return {
    ...handle,
    watcher,
    stop: () => handle.stop().finally(disconnect),
    crash: () => handle.crash().finally(disconnect),
  };
}
