import { DECIMALS, formatCoins } from "../money.js";
import type { IssuedOffer } from "./offers.js";
import {
  encodePaymentRequired,
  type AcceptExtra,
  type PaymentOffer,
  type PaymentRequiredParts,
  type PaymentRequiredV2,
  type PaymentTerms,
  type X402V1Accept,
  type X402V2Accept,
} from "./payment-required.js";

const passOf = (o: IssuedOffer & { kind: "pass" }) => ({
  scope: o.scope,
  seconds: o.seconds,
  ...(o.renewal && { renewal: true as const }),
});

/**
 * Adds a route's offers to a payment-required answer built by payment-required.ts (the hook that
 * keeps offers out of the single-request 402): one extra x402 `accepts` entry per offer in the v1
 * body and in the v2 `PAYMENT-REQUIRED` header (`extra.uses` for bundles, `extra.pass` for passes),
 * and `payment.offers` for ClawPurse-style clients. The single-request entry stays first, so clients
 * that take the first offer keep paying per request.
 * @param now unix seconds
 */
export function withOffers(
  parts: PaymentRequiredParts,
  terms: PaymentTerms,
  offers: readonly IssuedOffer[],
  now: number,
): PaymentRequiredParts {
  if (offers.length === 0) return parts;
  const extraOf = (o: IssuedOffer): AcceptExtra => ({
    invoiceId: o.invoice.id,
    memo: o.invoice.id,
    decimals: DECIMALS,
    offer: o.kind,
    ...(o.kind === "bundle" ? { uses: o.uses } : { pass: passOf(o) }),
  });
  const { body, v2 } = parts;
  const first = body.accepts[0];
  const v1 = offers.map(
    (o): X402V1Accept => ({
      ...first,
      maxAmountRequired: o.invoice.amountMicro.toString(),
      description:
        o.kind === "bundle"
          ? `${o.uses} requests for ${formatCoins(o.invoice.amountMicro)} ${terms.currency}`
          : `${o.seconds}-second pass for scope ${o.scope}: ${formatCoins(o.invoice.amountMicro)} ${terms.currency}`,
      maxTimeoutSeconds: Math.max(1, o.invoice.expiresAt - now),
      extra: extraOf(o),
    }),
  );
  const payment = {
    ...body.payment,
    offers: offers.map((o): PaymentOffer => {
      const amount = formatCoins(o.invoice.amountMicro);
      return {
        kind: o.kind,
        invoiceId: o.invoice.id,
        memo: o.invoice.id,
        amount,
        amountMicro: o.invoice.amountMicro.toString(),
        ...(o.kind === "bundle" ? { uses: o.uses } : { scope: o.scope, seconds: o.seconds, ...(o.renewal && { renewal: true as const }) }),
        clawpurse: `clawpurse send ${terms.payTo} ${amount} --memo ${o.invoice.id} --yes`,
      };
    }),
  };
  const base = v2.accepts[0];
  const more = offers.map(
    (o): X402V2Accept => ({
      ...base,
      amount: o.invoice.amountMicro.toString(),
      maxTimeoutSeconds: Math.max(1, o.invoice.expiresAt - now),
      extra: extraOf(o),
    }),
  );
  const withMore: PaymentRequiredV2 = { ...v2, accepts: [...v2.accepts, ...more] };
  const headers = { ...parts.headers, "payment-required": encodePaymentRequired(withMore) };
  return { ...parts, headers, body: { ...body, payment, accepts: [...body.accepts, ...v1] }, v2: withMore };
}
