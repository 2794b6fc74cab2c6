import { DECIMALS, formatCoins } from "../money.js";
import type { RequestFacts } from "./facts.js";
import type { Invoice } from "./invoices.js";
import { REASONS, type ReasonCode } from "./reasons.js";

/** What the 402 body needs besides the invoice: fixed per deployment. */
export interface PaymentTerms {
  /** bech32 payment address */
  readonly payTo: string;
  readonly denom: string;
  /** CAIP-2, e.g. "cosmos:Neutaro-1" */
  readonly network: string;
  /** display currency, "NTMPI" */
  readonly currency: string;
  readonly prepaidEnabled: boolean;
  /**
   * GATEWAY_PUBLIC_URL without trailing slash: the public origin clients use, where /invoices/* and
   * /prepaid/* reach gate402 without passing the gate; "" = the request's own scheme and host
   */
  readonly publicUrl: string;
}

export interface PaymentRequiredParts {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: Record<string, unknown>;
}

let lastRfc: { sec: number; text: string } = { sec: -1, text: "" };

/** RFC 3339 without milliseconds, as docs/design.md shows: "2026-11-21T12:05:00Z" (memoised per second: hot path). */
export function rfc3339(unixSeconds: number): string {
  if (lastRfc.sec !== unixSeconds) lastRfc = { sec: unixSeconds, text: new Date(unixSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, "Z") };
  return lastRfc.text;
}

/** The public origin by which the client reached us; "" only when neither config nor request names one. */
function originOf(terms: PaymentTerms, facts: RequestFacts): string {
  if (terms.publicUrl) {
    const pathStart = terms.publicUrl.indexOf("/", terms.publicUrl.indexOf("//") + 2);
    return pathStart === -1 ? terms.publicUrl : terms.publicUrl.slice(0, pathStart);
  }
  if (!facts.host) return "";
  return `${facts.scheme === "https" ? "https" : "http"}://${facts.host}`;
}

function describe(facts: RequestFacts, amount: string, currency: string): string {
  return `Payment of ${amount} ${currency} required for ${facts.method} ${facts.path}`;
}

/**
 * Builds a payment-required answer (docs/design.md "The 402 response"): JSON body for ClawPurse clients
 * (`payment`, `prepaid`) and x402 v1 clients (`x402Version`, `accepts`), plus the `PAYMENT-REQUIRED`
 * header carrying the x402 v2 PaymentRequired (base64 JSON, per x402 v2 transport spec).
 * Also used for 400/401 answers that should still tell the client how to pay.
 * @param reason closed-catalogue code; its status is the HTTP status
 * @param detail specific message (why this proof was refused); defaults to the generic sentence
 */
export function paymentRequired(
  terms: PaymentTerms, invoice: Invoice, facts: RequestFacts, now: number, reason: ReasonCode = "PAYMENT_REQUIRED", detail?: string,
): PaymentRequiredParts {
  const amount = formatCoins(invoice.amountMicro);
  const amountMicro = invoice.amountMicro.toString();
  const description = describe(facts, amount, terms.currency);
  // Absolute links: relative ones resolve against the gated API behind a proxy (and get a 402 there).
  const origin = originOf(terms, facts);
  const base = terms.publicUrl || origin;
  const resourceUrl = `${origin}${facts.pathWithQuery}`;
  const maxTimeoutSeconds = Math.max(1, invoice.expiresAt - now);
  const extra = { invoiceId: invoice.id, memo: invoice.id, decimals: DECIMALS };
  const body: Record<string, unknown> = {
    error: reason,
    message: detail ? `${detail}. ${description}` : description,
    payment: {
      invoiceId: invoice.id, memo: invoice.id,
      amount, amountMicro, currency: terms.currency, denom: terms.denom,
      address: terms.payTo, network: terms.network,
      expiresAt: rfc3339(invoice.expiresAt),
      verifyUrl: `${base}/invoices/${invoice.id}`,
      clawpurse: `clawpurse send ${terms.payTo} ${amount} --memo ${invoice.id} --yes`,
    },
    ...(terms.prepaidEnabled && {
      prepaid: {
        accountsUrl: `${base}/prepaid/accounts`,
        depositUrl: `${base}/prepaid/deposit`,
        balanceUrl: `${base}/prepaid/balance/{clientId}`,
      },
    }),
    x402Version: 1,
    accepts: [{
      scheme: "exact", network: terms.network, maxAmountRequired: amountMicro, asset: terms.denom, payTo: terms.payTo,
      resource: resourceUrl, description, mimeType: "application/json", maxTimeoutSeconds, extra,
    }],
  };
  const v2 = {
    x402Version: 2,
    error: REASONS[reason].message,
    resource: { url: resourceUrl, description, mimeType: "application/json" },
    accepts: [{ scheme: "exact", network: terms.network, amount: amountMicro, asset: terms.denom, payTo: terms.payTo, maxTimeoutSeconds, extra }],
  };
  return {
    status: REASONS[reason].status,
    headers: { "content-type": "application/json", "payment-required": Buffer.from(JSON.stringify(v2)).toString("base64") },
    body,
  };
}
