/** The payment watcher as a gateway extension (registered in src/app/extensions.ts): one per network. */
import type { Logger } from "pino";
import type { ScanChainPort } from "../chain/index.js";
import type { GatewayConfig } from "../config/load.js";
import type { NetworkConfig } from "../config/networks.js";
import type { Metrics } from "../observability/metrics.js";
import type { BalanceAsset, StorePort } from "../ports/store.js";
import { networkWatcherMetrics } from "./metrics.js";
import { startPaymentWatcher, type StartedWatcher, type StartWatcherOptions } from "./start.js";

/** What the watcher needs from the running gateway (the app's GatewayContext satisfies it). */
export interface WatcherExtensionContext {
  readonly config: Pick<GatewayConfig, "watcher" | "invoiceSecret"> & Partial<Pick<GatewayConfig, "assets">>;
  readonly databaseUrl: string;
  /** the invoice codec of every accepted asset (each watcher keeps its network's invoices) */
  readonly codec: StartWatcherOptions["codec"];
  readonly store: Pick<StorePort, "creditDeposit">;
  readonly log: Logger;
  readonly metrics: Metrics;
  /** the chain registry: each network's stack hands its watcher a port with the watcher's deadline */
  readonly networks: { all(): readonly { readonly network: NetworkConfig; withDeadline(ms: number): ScanChainPort }[] };
}

/**
 * Starts one watcher per network when GATEWAY_WATCHER is on. Every replica runs them; per network one
 * replica holds the lock and writes, the others stand by. A network's watcher recognises the invoices
 * of that network's assets only (payTo, denom and chain id are under the MAC; other networks' invoices
 * are `unmatched` here) and records each payment in its invoice's denom. Deposits are credited on every
 * network, in the first of the network's configured assets the tx paid (a prepaid balance per asset,
 * migration 0012); a deposit memo paid only in other denoms is recorded as `unmatched`.
 */
export function paymentWatcher(ctx: WatcherExtensionContext): { stop(): Promise<void> } | void {
  const w = ctx.config.watcher;
  if (!w.enabled) return;
  const handles: StartedWatcher[] = ctx.networks.all().map(({ network, withDeadline }) =>
    startPaymentWatcher({
      databaseUrl: ctx.databaseUrl,
      chain: withDeadline(w.timeoutMs),
      network: network.primary ? undefined : network.id,
      creditDeposits: true,
      depositAssets: depositAssetsOf(ctx.config.assets, network),
      payTo: network.payTo,
      denom: network.denom,
      codec: invoicesOf(ctx.codec, network.id),
      store: ctx.store,
      log: ctx.log,
      settings: { ...w, minConfirmations: network.minConfirmations },
      metrics: networkWatcherMetrics(ctx.metrics, network),
    }),
  );
  return { stop: async () => void (await Promise.all(handles.map((h) => h.stop()))) };
}

/** The configured assets of `network` (config order); without an asset list, its own denom. */
function depositAssetsOf(assets: GatewayConfig["assets"] | undefined, network: NetworkConfig): BalanceAsset[] {
  const mine = (assets ?? []).filter((a) => a.network === network.id);
  const list = mine.length > 0 ? mine : [{ network: network.id, denom: network.denom, primary: network.primary }];
  return list.map((a) => ({ network: a.network, denom: a.denom, primary: a.primary }));
}

/** The codec narrowed to one network: another network's invoice id reads as no invoice. */
function invoicesOf(codec: StartWatcherOptions["codec"], network: string): StartWatcherOptions["codec"] {
  return {
    verify: (id) => {
      const inv = codec.verify(id);
      return inv && inv.network === network ? inv : null;
    },
  };
}
