/**
 * The assets gate402 accepts (docs/design.md "Assets"): the primary asset (GATEWAY_DENOM, named by
 * GATEWAY_CURRENCY, 6 decimals, on the primary network), every additional network's `denom`, and the
 * entries of GATEWAY_ASSETS, a JSON array of `{ network, denom, name, decimals }`. An entry may describe
 * an additional network's own denom (its display name and decimals); otherwise that denom is named by
 * itself with 6 decimals. Money stays bigint in each asset's smallest unit.
 */
import { z } from "zod";
import { jsonListEnv } from "./json-env.js";
import type { PaymentAsset } from "../core/assets.js";
import type { NetworkConfig } from "./networks.js";

/** One accepted asset with what paying it takes (its network's pay-to address and confirmations). */
export type AssetConfig = PaymentAsset;

const DENOM = /^[a-zA-Z][a-zA-Z0-9/:._-]{2,127}$/;

const assetEntry = z
  .object({
    network: z.string().min(1),
    denom: z.string().regex(DENOM, "must be a Cosmos SDK denom, e.g. uatom or ibc/<hash>"),
    name: z.string().regex(/^[A-Za-z0-9.-]{1,16}$/, "1–16 letters, digits, '.' or '-'"),
    decimals: z.number().int().min(0).max(18),
  })
  .strict();

export type AssetEntry = z.infer<typeof assetEntry>;

/** GATEWAY_ASSETS: a JSON array of asset entries (empty or unset: only the primary and the networks' denoms). */
export const assetsEnvSchema = jsonListEnv(assetEntry);

/**
 * Every accepted asset: the primary first, then GATEWAY_ASSETS in order, then the additional networks'
 * denoms GATEWAY_ASSETS does not describe. Checks across settings: a network must be configured, and a
 * (network, denom) pair appears once (the primary asset is set by GATEWAY_DENOM/GATEWAY_CURRENCY only).
 * Problems go to `problems`.
 */
export function assembleAssets(
  primary: { readonly denom: string; readonly name: string },
  networks: readonly NetworkConfig[],
  entries: readonly AssetEntry[],
  problems: string[],
): AssetConfig[] {
  const primaryNet = networks.find((n) => n.primary)!;
  const of = (n: NetworkConfig, denom: string, name: string, decimals: number, isPrimary: boolean): AssetConfig =>
    Object.freeze({
      network: n.id,
      denom,
      name,
      decimals,
      payTo: n.payTo,
      chainId: n.chainId,
      minConfirmations: n.minConfirmations,
      primary: isPrimary,
    });
  const all: AssetConfig[] = [of(primaryNet, primary.denom, primary.name, 6, true)];
  for (const [i, e] of entries.entries()) {
    const where = `GATEWAY_ASSETS.${i}`;
    const net = networks.find((n) => n.id === e.network);
    if (!net) {
      problems.push(`${where}.network: "${e.network}" is not a configured network (${networks.map((n) => n.id).join(", ")})`);
      continue;
    }
    const dup = all.find((a) => a.network === e.network && a.denom === e.denom);
    if (dup) {
      const why = dup.primary ? "is the primary asset (set by GATEWAY_DENOM and GATEWAY_CURRENCY)" : "is listed twice";
      problems.push(`${where}: ${e.denom} on ${e.network} ${why}`);
      continue;
    }
    all.push(of(net, e.denom, e.name, e.decimals, false));
  }
  for (const n of networks) {
    if (n.primary || all.some((a) => a.network === n.id && a.denom === n.denom)) continue;
    all.push(of(n, n.denom, n.denom, 6, false));
  }
  return all;
}

/** Key of an asset in maps and logs: "<network>|<denom>". */
export function assetKey(a: { readonly network: string; readonly denom: string }): string {
  return `${a.network}|${a.denom}`;
}
