/**
 * Per-asset lookups over the core's dependencies: which chain a network's payments are checked on,
 * what an invoice's asset is, and what a route costs in each asset. Pure (no I/O).
 */
import type { ChainPort } from "../ports/chain.js";
import { DECIMALS } from "../money.js";
import type { AssetPrice, PaymentAsset } from "./assets.js";
import type { CoreDeps, NetworkPorts } from "./context.js";
import type { Price } from "./pricing.js";

/** The primary asset: config's first, else the one `terms` describes (single-asset deps in tests). */
export function primaryAsset(deps: Pick<CoreDeps, "assets" | "terms" | "minConfirmations">): PaymentAsset {
  const configured = deps.assets?.find((a) => a.primary);
  if (configured) return configured;
  const t = deps.terms;
  return {
    network: t.network,
    denom: t.denom,
    name: t.currency,
    decimals: DECIMALS,
    payTo: t.payTo,
    chainId: t.network.slice("cosmos:".length),
    minConfirmations: deps.minConfirmations,
    primary: true,
  };
}

/** Every accepted asset, the primary first. */
export function acceptedAssets(deps: Pick<CoreDeps, "assets" | "terms" | "minConfirmations">): readonly PaymentAsset[] {
  return deps.assets && deps.assets.length > 0 ? deps.assets : [primaryAsset(deps)];
}

/** The accepted asset `network`/`denom` names, or undefined. */
export function assetOf(
  deps: Pick<CoreDeps, "assets" | "terms" | "minConfirmations">,
  a: { network: string; denom: string },
): PaymentAsset | undefined {
  return acceptedAssets(deps).find((x) => x.network === a.network && x.denom === a.denom);
}

/** The chain port and height of `network`: the primary's from deps, another's from the registry. */
export function networkPorts(deps: CoreDeps, network: string): NetworkPorts | undefined {
  if (network === deps.terms.network) return { chain: deps.chain, lastKnownHeight: deps.lastKnownHeight };
  return deps.networkChain?.(network);
}

/** Like networkPorts, for a network an invoice verified with (so configured). @throws Error when it is not */
export function chainOf(deps: CoreDeps, network: string): ChainPort {
  const ports = networkPorts(deps, network);
  if (!ports) throw new Error(`no chain for network ${network}`);
  return ports.chain;
}

/** Every network's ports, the primary first (for a bare tx hash, whose network is not known). */
export function allNetworkPorts(deps: CoreDeps): { network: string; ports: NetworkPorts }[] {
  const ids = [...new Set(acceptedAssets(deps).map((a) => a.network))];
  if (!ids.includes(deps.terms.network)) ids.unshift(deps.terms.network);
  return ids.flatMap((network) => {
    const ports = networkPorts(deps, network);
    return ports ? [{ network, ports }] : [];
  });
}

/** What a route costs in every asset it is priced in, the first being `price.priceMicro`'s asset. */
export function pricesOf(deps: Pick<CoreDeps, "assets" | "terms" | "minConfirmations">, price: Price): readonly AssetPrice[] {
  if (price.prices && price.prices.length > 0) return price.prices;
  const p = primaryAsset(deps);
  return [{ network: p.network, denom: p.denom, amountMicro: price.priceMicro }];
}

/** The route's price in the asset `a` names, or undefined when the route is not priced in it. */
export function priceIn(
  deps: Pick<CoreDeps, "assets" | "terms" | "minConfirmations">,
  price: Price,
  a: { network: string; denom: string },
): bigint | undefined {
  return pricesOf(deps, price).find((p) => p.network === a.network && p.denom === a.denom)?.amountMicro;
}
