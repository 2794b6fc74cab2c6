/**
 * The resource-server side of the Cosmos `exact` scheme, for @x402/core's x402ResourceServer (and so
 * @x402/express, @x402/hono, @x402/next) with gate402 as the facilitator: prices in NTMPI, and a fresh
 * `extra.memo` per 402 (see memo.ts) that the payer's MsgSend must carry — the facilitator binds the
 * payment to it and redeems each memo once. `memo` is a dynamic extra field, so the retry matches the
 * requirements the client accepted.
 */
import type { AssetAmount, Network, PaymentRequirements, Price, SchemeNetworkServer, SupportedKind } from "@x402/core/types";
import { DECIMALS, parseCoins } from "../money.js";
import { newPaymentMemo } from "./memo.js";

export interface ExactCosmosServerOptions {
  /** asset (bank denom), default "uneutaro" */
  readonly denom?: string;
}

export class ExactCosmosServerScheme implements SchemeNetworkServer {
  readonly scheme = "exact";
  readonly defaultAssetTransferMethod = "default";
  readonly paymentFlows = { default: { supported: ["authorization", "upfront"] as const, default: "authorization" as const } };
  readonly dynamicExtraFields = ["memo"];
  private readonly denom: string;

  constructor(opts: ExactCosmosServerOptions = {}) {
    this.denom = opts.denom ?? "uneutaro";
  }

  /**
   * "0.001" / 0.001 / "0.001 NTMPI" → micro-units of the denom; an AssetAmount passes through.
   * @throws AmountFormatError for more than 6 decimals or a non-decimal price
   */
  async parsePrice(price: Price, _network: Network): Promise<AssetAmount> {
    if (typeof price === "object" && price !== null && "amount" in price) return { ...price, asset: price.asset || this.denom };
    const text = String(price)
      .trim()
      .replace(/\s*NTMPI$/i, "");
    return { amount: parseCoins(text).toString(), asset: this.denom };
  }

  getAssetDecimals(): number {
    return DECIMALS;
  }

  async enhancePaymentRequirements(r: PaymentRequirements, _kind: SupportedKind, _extensions: string[]): Promise<PaymentRequirements> {
    return { ...r, extra: { ...r.extra, memo: newPaymentMemo(), decimals: DECIMALS } };
  }
}
