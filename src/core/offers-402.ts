import { DECIMALS, formatCoins } from "../money.js";
import type { IssuedOffer } from "./offers.js";
import type { PaymentRequiredParts, PaymentTerms } from "./payment-required.js";

/**
 * Adds a route's offers to a payment-required answer built by payment-required.ts (the hook that
 * keeps offers out of the single-request 402): one extra x402 `accepts` entry per offer in the v1
 * body and in the v2 `PAYMENT-REQUIRED` header (`extra.uses` for bundles, `extra.pass` for passes),
 * and `payment.offers` for ClawPurse-style clients. The single-request entry stays first, so clients
 * that take the first offer keep paying per request.
 * @param now unix seconds
 */
export function withOffers(parts: PaymentRequiredParts, terms: PaymentTerms, offers: readonly IssuedOffer[], now: number): PaymentRequiredParts {
  if (offers.length === 0) return parts;
  const extraOf = (o: IssuedOffer) => ({
    invoiceId: o.invoice.id, memo: o.invoice.id, decimals: DECIMALS, offer: o.kind,
    ...(o.kind === "bundle" ? { uses: o.uses } : { pass: { scope: o.scope, seconds: o.seconds, ...(o.renewal && { renewal: true }) } }),
  });
  const body = parts.body as Record<string, unknown> & { accepts?: Record<string, unknown>[]; payment?: Record<string, unknown> };
  const first = body.accepts?.[0];
  const v1 = offers.map((o) => ({
    ...first, maxAmountRequired: o.invoice.amountMicro.toString(),
    description: o.kind === "bundle" ? `${o.uses} requests for ${formatCoins(o.invoice.amountMicro)} ${terms.currency}` : `${o.seconds}-second pass for scope ${o.scope}: ${formatCoins(o.invoice.amountMicro)} ${terms.currency}`,
    maxTimeoutSeconds: Math.max(1, o.invoice.expiresAt - now), extra: extraOf(o),
  }));
  const payment = body.payment && {
    ...body.payment,
    offers: offers.map((o) => {
      const amount = formatCoins(o.invoice.amountMicro);
      return {
        kind: o.kind, invoiceId: o.invoice.id, memo: o.invoice.id, amount, amountMicro: o.invoice.amountMicro.toString(),
        ...(o.kind === "bundle" ? { uses: o.uses } : { scope: o.scope, seconds: o.seconds, ...(o.renewal && { renewal: true }) }),
        clawpurse: `clawpurse send ${terms.payTo} ${amount} --memo ${o.invoice.id} --yes`,
      };
    }),
  };
  const headers = { ...parts.headers };
  const encoded = headers["payment-required"];
  if (encoded !== undefined) {
    const v2 = JSON.parse(Buffer.from(encoded, "base64").toString("utf8")) as { accepts: Record<string, unknown>[] };
    const base = v2.accepts[0];
    v2.accepts.push(...offers.map((o) => ({ ...base, amount: o.invoice.amountMicro.toString(), maxTimeoutSeconds: Math.max(1, o.invoice.expiresAt - now), extra: extraOf(o) })));
    headers["payment-required"] = Buffer.from(JSON.stringify(v2)).toString("base64");
  }
  return { ...parts, headers, body: { ...body, ...(payment && { payment }), ...(body.accepts && { accepts: [...body.accepts, ...v1] }) } };
}
