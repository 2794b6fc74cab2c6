import { formatAmount } from "../money.js";
import type { PaymentAsset } from "./assets.js";
import type { RequestFacts } from "./facts.js";
import type { Invoice } from "./invoices.js";
import {
  describe,
  encodePaymentRequired,
  type PaymentRequiredParts,
  type PaymentRequiredV2,
  type X402V1Accept,
  type X402V2Accept,
} from "./payment-required.js";

/** A single-request invoice in one asset. */
export interface AssetInvoice {
  readonly invoice: Invoice;
  readonly asset: PaymentAsset;
}

/**
 * Adds the single-request invoices of the route's other assets to a payment-required answer
 * (docs/design.md "Assets"): one x402 `accepts` entry per asset in the v1 body and in the v2
 * `PAYMENT-REQUIRED` header, each with its network, asset (denom), payTo and amount in the asset's
 * smallest unit, right after the first asset's entry. `payment` (ClawPurse) keeps the first asset.
 * @param now unix seconds
 */
export function withAssets(
  parts: PaymentRequiredParts,
  more: readonly AssetInvoice[],
  facts: RequestFacts,
  now: number,
): PaymentRequiredParts {
  if (more.length === 0) return parts;
  const { body, v2 } = parts;
  const [first, ...offers] = body.accepts;
  const [first2, ...offers2] = v2.accepts;
  const v1 = more.map(
    ({ invoice, asset }): X402V1Accept => ({
      ...first,
      network: asset.network,
      maxAmountRequired: invoice.amountMicro.toString(),
      asset: asset.denom,
      payTo: asset.payTo,
      description: describe(facts, formatAmount(invoice.amountMicro, asset.decimals), asset.name),
      maxTimeoutSeconds: Math.max(1, invoice.expiresAt - now),
      extra: { invoiceId: invoice.id, memo: invoice.id, decimals: asset.decimals },
    }),
  );
  const v2more = more.map(
    ({ invoice, asset }): X402V2Accept => ({
      ...first2,
      network: asset.network,
      amount: invoice.amountMicro.toString(),
      asset: asset.denom,
      payTo: asset.payTo,
      maxTimeoutSeconds: Math.max(1, invoice.expiresAt - now),
      extra: { invoiceId: invoice.id, memo: invoice.id, decimals: asset.decimals },
    }),
  );
  const withMore: PaymentRequiredV2 = { ...v2, accepts: [first2, ...v2more, ...offers2] };
  const headers = { ...parts.headers, "payment-required": encodePaymentRequired(withMore) };
  return { ...parts, headers, body: { ...body, accepts: [first, ...v1, ...offers] }, v2: withMore };
}
