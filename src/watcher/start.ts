/**
 * Assembles a payment watcher for one network: the advisory lease, the pass logic and the loop, over a
 * chain port the caller got from the network's chain stack (`ChainSetup.withDeadline`: the watcher's
 * longer deadline, the same endpoints and health verdicts). The watcher builds no chain stack itself.
 */
import type { Logger } from "pino";
import type { Invoice } from "../core/invoices.js";
import type { ChainPort, ChainScanPort } from "../ports/chain.js";
import type { BalanceAsset, StorePort } from "../ports/store.js";
import { AdvisoryLease } from "./lease.js";
import { noWatcherMetrics, type WatcherMetrics } from "./metrics.js";
import { runWatcher, type WatcherHandle } from "./runner.js";
import { PaymentWatcher, type PassResult, type WatcherSettings } from "./watcher.js";

export interface StartWatcherOptions {
  readonly databaseUrl: string;
  /** the network's watcher port (ChainSetup.withDeadline(GATEWAY_WATCHER_TIMEOUT_MS)) */
  readonly chain: ChainPort & ChainScanPort;
  /**
   * CAIP-2 id of an additional network; undefined for the primary, whose lock key stays the address
   * alone (replicas of the previous release take the same lock during a rolling upgrade)
   */
  readonly network?: string;
  /** credit deposit memos to prepaid accounts (default true) */
  readonly creditDeposits?: boolean;
  /** the network's assets deposits are credited in (WatcherDeps.depositAssets; default: `denom` as the primary) */
  readonly depositAssets?: readonly BalanceAsset[];
  readonly payTo: string;
  readonly denom: string;
  readonly codec: { verify(id: string): Invoice | null };
  readonly store: Pick<StorePort, "creditDeposit">;
  readonly settings: WatcherSettings & {
    /** ms between passes when caught up */
    readonly pollMs: number;
    /** ms between standby lock attempts */
    readonly leasePollMs: number;
  };
  readonly log: Logger;
  readonly metrics?: WatcherMetrics;
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
  const log = o.log.child({ component: "watcher", instance: o.instance, network: o.network });
  const lease = new AdvisoryLease({
    databaseUrl: o.databaseUrl,
    recipient: o.payTo,
    network: o.network,
    log,
    applicationName: o.instance ? `gate402-watcher:${o.instance}` : "gate402-watcher",
  });
  const metrics = o.metrics ?? noWatcherMetrics;
  const watcher = new PaymentWatcher({
    chain: o.chain,
    store: o.store,
    lease,
    payTo: o.payTo,
    denom: o.denom,
    verifyInvoice: (m) => o.codec.verify(m),
    creditDeposits: o.creditDeposits ?? true,
    settings: o.settings,
    metrics,
    log,
    ...(o.depositAssets ? { depositAssets: o.depositAssets } : {}),
  });
  const handle = runWatcher(watcher, lease, metrics, log, {
    pollMs: o.settings.pollMs,
    leasePollMs: o.settings.leasePollMs,
    onPass: o.onPass,
  });
  return { ...handle, watcher };
}
