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

/** RFC 3339 without milliseconds, as DESIGN.md shows: "2026-11-21T12:05:00Z" (memoised per second: hot path). */
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

/** The parts of a 402 fixed per deployment and price: serialized once, spliced per answer. */
interface PriceTemplate {
  readonly amount: string;
  readonly amountMicro: string;
  /** `"amount":…,"amountMicro":…,…,"network":…` of the ClawPurse `payment` object */
  readonly paymentMiddle: string;
  /** `clawpurse send <payTo> <amount> --memo ` */
  readonly clawpurse: string;
  /** `"scheme":"exact","network":…,"payTo":…` of the x402 v1 `accepts` entry */
  readonly v1Offer: string;
  /** the same for the v2 header */
  readonly v2Offer: string;
}

const templates = new WeakMap<PaymentTerms, Map<bigint, PriceTemplate>>();
const js = JSON.stringify;

function templateFor(terms: PaymentTerms, amountMicroBig: bigint): PriceTemplate {
  let byPrice = templates.get(terms);
  if (!byPrice) templates.set(terms, (byPrice = new Map()));
  let t = byPrice.get(amountMicroBig);
  if (t) return t;
  const amount = formatCoins(amountMicroBig);
  const amountMicro = amountMicroBig.toString();
  t = {
    amount, amountMicro,
    paymentMiddle: `"amount":${js(amount)},"amountMicro":${js(amountMicro)},"currency":${js(terms.currency)},"denom":${js(terms.denom)},"address":${js(terms.payTo)},"network":${js(terms.network)}`,
    clawpurse: `clawpurse send ${terms.payTo} ${amount} --memo `,
    v1Offer: `"scheme":"exact","network":${js(terms.network)},"maxAmountRequired":${js(amountMicro)},"asset":${js(terms.denom)},"payTo":${js(terms.payTo)}`,
    v2Offer: `"scheme":"exact","network":${js(terms.network)},"amount":${js(amountMicro)},"asset":${js(terms.denom)},"payTo":${js(terms.payTo)}`,
  };
  // Prices come from config and context_extensions: bounded, but do not let a hostile Envoy grow this.
  if (byPrice.size >= 1024) byPrice.clear();
  byPrice.set(amountMicroBig, t);
  return t;
}

/**
 * JSON text of bodies built by paymentRequired, so transports send it without serializing again
 * (issue #17 "a cheap 402"). A body copied or changed by a caller is a new object, not in here.
 */
const serialized = new WeakMap<object, string>();

/** The JSON text of a decision body: the text it was built from when known, else JSON.stringify. */
export function bodyText(body: object): string {
  return serialized.get(body) ?? JSON.stringify(body);
}

/**
 * Builds a payment-required answer (DESIGN.md "The 402 response"): JSON body for ClawPurse clients
 * (`payment`, `prepaid`) and x402 v1 clients (`x402Version`, `accepts`), plus the `PAYMENT-REQUIRED`
 * header carrying the x402 v2 PaymentRequired (base64 JSON, per x402 v2 transport spec).
 * Also used for 400/401 answers that should still tell the client how to pay.
 * Hot path: the parts fixed per deployment and price are serialized once (templateFor); per answer
 * only the invoice id, expiry, links and request description are spliced in. The body object is parsed
 * back from that text only when someone reads it (tests, the prepaid top-up hint).
 * @param reason closed-catalogue code; its status is the HTTP status
 * @param detail specific message (why this proof was refused); defaults to the generic sentence
 */
export function paymentRequired(
  terms: PaymentTerms, invoice: Invoice, facts: RequestFacts, now: number, reason: ReasonCode = "PAYMENT_REQUIRED", detail?: string,
): PaymentRequiredParts {
  const t = templateFor(terms, invoice.amountMicro);
  const description = js(describe(facts, t.amount, terms.currency));
  // Absolute links: relative ones resolve against the gated API behind a proxy (and get a 402 there).
  const origin = originOf(terms, facts);
  const base = terms.publicUrl || origin;
  const resourceUrl = js(`${origin}${facts.pathWithQuery}`);
  const maxTimeoutSeconds = Math.max(1, invoice.expiresAt - now);
  // Invoice ids are base64url and "." (invoices.ts): safe inside JSON strings as they are.
  const id = invoice.id;
  const extra = `"extra":{"invoiceId":"${id}","memo":"${id}","decimals":${DECIMALS}}`;
  const message = detail ? js(`${detail}. ${describe(facts, t.amount, terms.currency)}`) : description;
  const prepaid = terms.prepaidEnabled
    ? `,"prepaid":{"accountsUrl":${js(`${base}/prepaid/accounts`)},"depositUrl":${js(`${base}/prepaid/deposit`)},"balanceUrl":${js(`${base}/prepaid/balance/{clientId}`)}}`
    : "";
  const text = `{"error":"${reason}","message":${message},"payment":{"invoiceId":"${id}","memo":"${id}",${t.paymentMiddle},`
    + `"expiresAt":"${rfc3339(invoice.expiresAt)}","verifyUrl":${js(`${base}/invoices/${id}`)},"clawpurse":${js(`${t.clawpurse}${id} --yes`)}}${prepaid},`
    + `"x402Version":1,"accepts":[{${t.v1Offer},"resource":${resourceUrl},"description":${description},"mimeType":"application/json","maxTimeoutSeconds":${maxTimeoutSeconds},${extra}}]}`;
  const v2 = `{"x402Version":2,"error":${js(REASONS[reason].message)},"resource":{"url":${resourceUrl},"description":${description},"mimeType":"application/json"},`
    + `"accepts":[{${t.v2Offer},"maxTimeoutSeconds":${maxTimeoutSeconds},${extra}}]}`;
  const body = lazyBody(text);
  return {
    status: REASONS[reason].status,
    headers: { "content-type": "application/json", "payment-required": Buffer.from(v2).toString("base64") },
    body,
  };
}

/** An object whose fields are parsed from `text` on first access; bodyText() returns `text` for it. */
function lazyBody(text: string): Record<string, unknown> {
  let parsed: Record<string, unknown> | undefined;
  const get = () => (parsed ??= JSON.parse(text) as Record<string, unknown>);
  const body = new Proxy({} as Record<string, unknown>, {
    get: (_t, key) => get()[key as string],
    has: (_t, key) => key in get(),
    ownKeys: () => Reflect.ownKeys(get()),
    getOwnPropertyDescriptor: (_t, key) => {
      const d = Reflect.getOwnPropertyDescriptor(get(), key);
      return d && { ...d, configurable: true };
    },
  });
  serialized.set(body, text);
  return body;
}
