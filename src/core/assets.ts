/**
 * Accepted assets as the decision core sees them (docs/design.md "Assets"). Configuration builds them
 * (src/config/assets.ts); the core prices, invoices and verifies per asset. Pure types and lookups.
 */

/** One accepted asset and what paying it takes. */
export interface PaymentAsset {
  /** CAIP-2 id of the network the asset lives on, e.g. "cosmos:Neutaro-1" */
  readonly network: string;
  /** Cosmos SDK bank denom: native ("uneutaro") or IBC ("ibc/<64 uppercase hex>") */
  readonly denom: string;
  /** display name, e.g. "NTMPI" */
  readonly name: string;
  /** decimals of the display unit (1 display unit = 10^decimals smallest units) */
  readonly decimals: number;
  /** bech32 address receiving payments on the asset's network */
  readonly payTo: string;
  /** the network's Cosmos chain id, e.g. "Neutaro-1" */
  readonly chainId: string;
  /** confirmations a payment on the network needs */
  readonly minConfirmations: number;
  /** true only for GATEWAY_DENOM on the primary network (v1 invoices, ClawPurse `payment` first) */
  readonly primary: boolean;
}

/** A route's price in one asset: amount in the asset's smallest unit (bigint, > 0). */
export interface AssetPrice {
  readonly network: string;
  readonly denom: string;
  readonly amountMicro: bigint;
}

/** The asset `network`/`denom` names among `assets`, or undefined. */
export function findAsset<A extends { network: string; denom: string }>(
  assets: readonly A[],
  network: string,
  denom: string,
): A | undefined {
  return assets.find((a) => a.network === network && a.denom === denom);
}
