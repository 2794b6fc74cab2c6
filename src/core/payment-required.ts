import { DECIMALS, formatAmount } from "../money.js";
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
  /** decimals of `currency` (default 6: NTMPI ↔ uneutaro) */
  readonly decimals?: number;
  readonly prepaidEnabled: boolean;
  /**
   * GATEWAY_PUBLIC_URL without trailing slash: the public origin clients use, where /invoices/* and
   * /prepaid/* reach gate402 without passing the gate; "" = the request's own scheme and host
   */
  readonly publicUrl: string;
}

/**
 * `extra` of an x402 `accepts` entry: the invoice to put in the memo, the display decimals, and for an
 * offer what it sells (offers-402.ts).
 */
export type AcceptExtra = {
  readonly invoiceId: string;
  readonly memo: string;
  readonly decimals: number;
  readonly offer?: "bundle" | "pass";
  /** requests a bundle buys */
  readonly uses?: number;
  readonly pass?: { readonly scope: string; readonly seconds: number; readonly renewal?: true };
};

/** One x402 v1 `accepts` entry (PaymentRequirements): one per way to pay, the single request first. */
export type X402V1Accept = {
  readonly scheme: "exact";
  /** CAIP-2 */
  readonly network: string;
  /** integer string, micro-units of `asset` */
  readonly maxAmountRequired: string;
  /** the denom */
  readonly asset: string;
  readonly payTo: string;
  /** absolute URL of the requested resource */
  readonly resource: string;
  readonly description: string;
  readonly mimeType: "application/json";
  readonly maxTimeoutSeconds: number;
  readonly extra: AcceptExtra;
};

/** One x402 v2 `accepts` entry (in the PAYMENT-REQUIRED header). */
export type X402V2Accept = {
  readonly scheme: "exact";
  readonly network: string;
  /** integer string, micro-units of `asset` */
  readonly amount: string;
  readonly asset: string;
  readonly payTo: string;
  readonly maxTimeoutSeconds: number;
  readonly extra: AcceptExtra;
};

/** The x402 v2 PaymentRequired carried base64-encoded in the `PAYMENT-REQUIRED` header. */
export type PaymentRequiredV2 = {
  readonly x402Version: 2;
  /** the reason's generic sentence (reasons.ts) */
  readonly error: string;
  readonly resource: { readonly url: string; readonly description: string; readonly mimeType: "application/json" };
  readonly accepts: [X402V2Accept, ...X402V2Accept[]];
};

/** `payment.offers[]`: a bundle or pass of the route, for ClawPurse-style clients (offers-402.ts). */
export type PaymentOffer = {
  readonly kind: "bundle" | "pass";
  readonly invoiceId: string;
  readonly memo: string;
  /** display amount, 6 decimals */
  readonly amount: string;
  /** integer string, micro-units of the denom */
  readonly amountMicro: string;
  readonly uses?: number;
  readonly scope?: string;
  readonly seconds?: number;
  readonly renewal?: true;
  readonly clawpurse: string;
};

/** `payment`: the invoice for ClawPurse-style clients. Amounts are strings (no bigint in JSON). */
export type PaymentInfo = {
  readonly invoiceId: string;
  readonly memo: string;
  /** display amount, 6 decimals, e.g. "0.001000" */
  readonly amount: string;
  /** integer string, micro-units of the denom */
  readonly amountMicro: string;
  readonly currency: string;
  readonly denom: string;
  readonly address: string;
  readonly network: string;
  /** RFC 3339 */
  readonly expiresAt: string;
  readonly verifyUrl: string;
  readonly clawpurse: string;
  readonly offers?: PaymentOffer[];
};

/** `prepaid`: where prepaid accounts live (when prepaid is on). */
export type PrepaidLinks = { readonly accountsUrl: string; readonly depositUrl: string; readonly balanceUrl: string };

/** One asset's line of an INSUFFICIENT_BALANCE answer's `prepaid.balances`. */
export interface PrepaidAssetTopUp {
  readonly network: string;
  readonly denom: string;
  /** decimal strings of the asset's smallest unit */
  readonly amountMicro: string;
  readonly priceMicro: string;
  readonly depositAddress: string;
}

/** What an INSUFFICIENT_BALANCE answer adds to `prepaid` so the agent can top up (prepaid.ts). */
export type PrepaidTopUp = {
  /** display amount, 6 decimals */
  readonly balance: string;
  /** integer string, micro-units of the denom */
  readonly balanceMicro: string;
  /** absent when the account is gone */
  readonly depositMemo?: string;
  readonly depositAddress: string;
  readonly topUp?: string;
  /**
   * Per asset the route is priced in (pricesOf order): the account's balance and the price there, and where a
   * deposit in that asset goes (docs/design.md "Prepaid balances per asset"). Amounts in the asset's smallest unit.
   */
  readonly balances?: readonly PrepaidAssetTopUp[];
};

/**
 * The JSON body of a payment-required answer (docs/design.md "The 402 response"), for ClawPurse-style
 * clients (`payment`, `prepaid`) and x402 v1 clients (`x402Version`, `accepts`). A type, not an
 * interface, so it stays assignable to DenyDecision's wire-level `body`.
 */
export type PaymentRequiredBody = {
  readonly error: ReasonCode;
  readonly message: string;
  readonly payment: PaymentInfo;
  readonly prepaid?: PrepaidLinks | (Partial<PrepaidLinks> & PrepaidTopUp);
  readonly x402Version: 1;
  /** the single-request entry of each asset the route is priced in (the primary first), then one per offer */
  readonly accepts: [X402V1Accept, ...X402V1Accept[]];
};

export interface PaymentRequiredParts {
  readonly status: number;
  /** content-type and PAYMENT-REQUIRED (the encoding of `v2`) */
  readonly headers: Record<string, string>;
  readonly body: PaymentRequiredBody;
  /** what the PAYMENT-REQUIRED header carries, kept so offers-402.ts can add entries without decoding it */
  readonly v2: PaymentRequiredV2;
}

/** The `PAYMENT-REQUIRED` header value: base64 of the v2 JSON (per the x402 v2 transport spec). */
export function encodePaymentRequired(v2: PaymentRequiredV2): string {
  return Buffer.from(JSON.stringify(v2)).toString("base64");
}

let lastRfc: { sec: number; text: string } = { sec: -1, text: "" };

/** RFC 3339 without milliseconds, as docs/design.md shows: "2026-11-21T12:05:00Z" (memoised per second: hot path). */
export function rfc3339(unixSeconds: number): string {
  if (lastRfc.sec !== unixSeconds) {
    lastRfc = { sec: unixSeconds, text: new Date(unixSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, "Z") };
  }
  return lastRfc.text;
}

/** The public origin by which the client reached us; "" only when neither config nor request names one. */
export function originOf(terms: PaymentTerms, facts: RequestFacts): string {
  if (terms.publicUrl) {
    const pathStart = terms.publicUrl.indexOf("/", terms.publicUrl.indexOf("//") + 2);
    return pathStart === -1 ? terms.publicUrl : terms.publicUrl.slice(0, pathStart);
  }
  if (!facts.host) return "";
  return `${facts.scheme === "https" ? "https" : "http"}://${facts.host}`;
}

export function describe(facts: RequestFacts, amount: string, currency: string): string {
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
  terms: PaymentTerms,
  invoice: Invoice,
  facts: RequestFacts,
  now: number,
  reason: ReasonCode = "PAYMENT_REQUIRED",
  detail?: string,
): PaymentRequiredParts {
  const decimals = terms.decimals ?? DECIMALS;
  const amount = formatAmount(invoice.amountMicro, decimals);
  const amountMicro = invoice.amountMicro.toString();
  const description = describe(facts, amount, terms.currency);
  // Absolute links: relative ones resolve against the gated API behind a proxy (and get a 402 there).
  const origin = originOf(terms, facts);
  const base = terms.publicUrl || origin;
  const resourceUrl = `${origin}${facts.pathWithQuery}`;
  const maxTimeoutSeconds = Math.max(1, invoice.expiresAt - now);
  const extra: AcceptExtra = { invoiceId: invoice.id, memo: invoice.id, decimals };
  const body: PaymentRequiredBody = {
    error: reason,
    message: detail ? `${detail}. ${description}` : description,
    payment: {
      invoiceId: invoice.id,
      memo: invoice.id,
      amount,
      amountMicro,
      currency: terms.currency,
      denom: terms.denom,
      address: terms.payTo,
      network: terms.network,
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
    accepts: [
      {
        scheme: "exact",
        network: terms.network,
        maxAmountRequired: amountMicro,
        asset: terms.denom,
        payTo: terms.payTo,
        resource: resourceUrl,
        description,
        mimeType: "application/json",
        maxTimeoutSeconds,
        extra,
      },
    ],
  };
  const v2: PaymentRequiredV2 = {
    x402Version: 2,
    error: REASONS[reason].message,
    resource: { url: resourceUrl, description, mimeType: "application/json" },
    accepts: [
      {
        scheme: "exact",
        network: terms.network,
        amount: amountMicro,
        asset: terms.denom,
        payTo: terms.payTo,
        maxTimeoutSeconds,
        extra,
      },
    ],
  };
  return {
    status: REASONS[reason].status,
    headers: { "content-type": "application/json", "payment-required": encodePaymentRequired(v2) },
    body,
    v2,
  };
}
