import type { AllowDecision, DenyDecision, PayMethod } from "./decision.js";
import type { RequestFacts } from "./facts.js";
import type { CoreDeps } from "./context.js";
import type { Invoice } from "./invoices.js";
import { issueOffers } from "./offers.js";
import { withOffers } from "./offers-402.js";
import { paymentRequired } from "./payment-required.js";
import type { Price } from "./pricing.js";
import { REASONS, type ReasonCode } from "./reasons.js";

/**
 * Builders for the decisions the core returns, so every path renders the same shapes.
 * Headers sent upstream on allow are always the full documented set (empty when not applicable):
 * Caddy 2.6.2 forwards a literal placeholder for a copied header the auth answer omits.
 */
export const UPSTREAM_HEADERS = [
  "x-gate402-decision-id", "x-gate402-paid-by", "x-gate402-route", "x-gate402-amount-micro",
  "x-gate402-payer", "x-gate402-client-id", "x-gate402-tx-hash",
] as const;

export interface AllowDetails {
  readonly payer?: string;
  readonly clientId?: string;
  readonly txHash?: string;
  readonly responseHeaders?: Record<string, string>;
}

/** Request is served; `strip` are the proof/credential header names present on the request. */
export function allow(decisionId: string, method: PayMethod, price: Price, strip: readonly string[], d: AllowDetails = {}): AllowDecision {
  return {
    kind: "allow", decisionId, method, routeId: price.routeId, priceMicro: price.priceMicro,
    upstreamHeaders: {
      "x-gate402-decision-id": decisionId,
      "x-gate402-paid-by": method,
      "x-gate402-route": price.routeId,
      "x-gate402-amount-micro": price.priceMicro.toString(),
      "x-gate402-payer": d.payer ?? "",
      "x-gate402-client-id": d.clientId ?? "",
      "x-gate402-tx-hash": d.txHash ?? "",
    },
    headersToRemove: strip,
    responseHeaders: d.responseHeaders ?? {},
  };
}

/** Issues a fresh invoice for this request (no I/O: stateless HMAC token). */
export function issueInvoice(deps: CoreDeps, facts: RequestFacts, price: Price): Invoice {
  const invoice = deps.codec.issue({
    amountMicro: price.priceMicro, method: facts.method, routeId: price.routeId,
    expiresAt: Math.floor(deps.clock() / 1000) + deps.invoiceTtlSeconds,
    issueHeight: Math.max(0, deps.lastKnownHeight() - 1), nonce: deps.nonce(), uses: 1,
  });
  deps.events.invoiceIssued({ routeId: price.routeId, invoiceId: invoice.id });
  return invoice;
}

/**
 * Deny that tells the client how to pay (402, and 400/401/403 that still carry an invoice), with the
 * route's bundle and pass offers (offers.ts); `renewal` marks the pass offers as renewing an expired pass.
 */
export function denyWithInvoice(
  deps: CoreDeps, facts: RequestFacts, price: Price, decisionId: string, method: PayMethod, reason: ReasonCode, detail?: string,
  extraBody?: Record<string, unknown>, renewal = false,
): DenyDecision {
  const invoice = issueInvoice(deps, facts, price);
  const now = Math.floor(deps.clock() / 1000);
  const parts = withOffers(paymentRequired(deps.terms, invoice, facts, now, reason, detail), deps.terms, issueOffers(deps, facts, price, renewal), now);
  const status = parts.status;
  return {
    kind: "deny", decisionId, method, routeId: price.routeId, reason, status, headers: parts.headers,
    body: extraBody ? { ...parts.body, ...extraBody } : parts.body,
    outcome: status === 402 ? "payment_required" : "denied",
  };
}

/**
 * 402 for a payment that is on its way (not in a block yet, or short of confirmations): the *same*
 * invoice again, so an agent that pays what a 402 says never pays twice, and `Retry-After` in seconds
 * (when the next block is expected).
 */
export function denyPending(
  deps: CoreDeps, facts: RequestFacts, price: Price, decisionId: string, invoice: Invoice, reason: "PAYMENT_PENDING" | "AWAITING_CONFIRMATION", detail: string,
): DenyDecision {
  const retryAfter = Math.max(1, Math.ceil(deps.nextBlockSeconds?.() ?? 1));
  const parts = paymentRequired(deps.terms, invoice, facts, Math.floor(deps.clock() / 1000), reason, detail);
  return {
    kind: "deny", decisionId, method: "invoice", routeId: price.routeId, reason, status: parts.status,
    headers: { ...parts.headers, "retry-after": String(retryAfter) }, body: parts.body, outcome: "payment_required",
  };
}

/** Deny without an invoice: outages (503 — never ask an agent to pay because we are down), 429. */
export function denyPlain(decisionId: string, method: PayMethod, routeId: string, reason: ReasonCode, message?: string, headers: Record<string, string> = {}): DenyDecision {
  const status = REASONS[reason].status;
  return {
    kind: "deny", decisionId, method, routeId, reason, status,
    headers: { "content-type": "application/json", ...headers },
    body: { error: reason, message: message ?? REASONS[reason].message },
    outcome: status >= 500 ? "error" : "denied",
  };
}

/** 429 RATE_LIMITED: too many chain lookups from this client; no invoice (it already holds one). */
export function denyRateLimited(decisionId: string, method: PayMethod, routeId: string, retryAfterSeconds: number): DenyDecision {
  const message = `Too many payment proofs to look up from this client; retry in ${retryAfterSeconds} s`;
  return denyPlain(decisionId, method, routeId, "RATE_LIMITED", message, { "retry-after": String(retryAfterSeconds) });
}
