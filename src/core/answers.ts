import { assetOf, networkPorts, pricesOf, primaryAsset } from "./asset-deps.js";
import type { PaymentAsset } from "./assets.js";
import { withAssets } from "./assets-402.js";
import type { AllowDecision, DenyDecision, PayMethod } from "./decision.js";
import type { CoreDeps } from "./context.js";
import type { Invoice } from "./invoices.js";
import { issueOffers } from "./offers.js";
import { withOffers } from "./offers-402.js";
import { paymentRequired, type PaymentRequiredBody, type PaymentTerms, type PrepaidTopUp } from "./payment-required.js";
import type { ProofHeader } from "./proofs.js";
import { REASONS, type ReasonCode } from "./reasons.js";
import type { RequestScope } from "./request-scope.js";

/**
 * Builders for the decisions the core returns, so every path renders the same shapes.
 * Headers sent upstream on allow are always the full documented set (empty when not applicable):
 * Caddy 2.6.2 forwards a literal placeholder for a copied header the auth answer omits.
 */
export const UPSTREAM_HEADERS = [
  "x-gate402-decision-id",
  "x-gate402-paid-by",
  "x-gate402-route",
  "x-gate402-amount-micro",
  "x-gate402-payer",
  "x-gate402-client-id",
  "x-gate402-tx-hash",
] as const;

export interface AllowDetails {
  readonly payer?: string;
  readonly clientId?: string;
  readonly txHash?: string;
  readonly responseHeaders?: Record<string, string>;
}

/** Request is served at the scope's price; the scope's `strip` headers are removed before upstream. */
export function allow(scope: RequestScope, method: PayMethod, d: AllowDetails = {}): AllowDecision {
  const { decisionId, price, strip } = scope;
  return {
    kind: "allow",
    decisionId,
    method,
    routeId: price.routeId,
    priceMicro: price.priceMicro,
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

/** A request a pass pays for: served, charging nothing (the pass earned its price when it was bought). */
export function allowPass(scope: RequestScope, d: AllowDetails): AllowDecision {
  return allow({ ...scope, price: { ...scope.price, priceMicro: 0n } }, "pass", d);
}

/**
 * PAYMENT-RESPONSE (and X-PAYMENT-RESPONSE when the proof came as X-PAYMENT), base64 JSON
 * `{success: true, transaction, network, payer, ...extra}` (docs/design.md), then `headers`.
 */
export function paymentResponseHeaders(
  proofHeader: ProofHeader,
  r: { txHash: string; network: string; payer: string; extra?: Record<string, unknown> },
  headers: Record<string, string> = {},
): Record<string, string> {
  const receipt = Buffer.from(
    JSON.stringify({ success: true, transaction: r.txHash, network: r.network, payer: r.payer, ...r.extra }),
  ).toString("base64");
  const out: Record<string, string> = { "payment-response": receipt, ...headers };
  if (proofHeader === "x-payment") out["x-payment-response"] = receipt;
  return out;
}

/**
 * Issues a fresh invoice for this request (no I/O: stateless HMAC token), in `asset` (default the
 * primary) at `amountMicro` (default the scope's price), from that network's last known height.
 */
export function issueInvoice(
  deps: CoreDeps,
  { facts, price }: Pick<RequestScope, "facts" | "price">,
  asset?: PaymentAsset,
  amountMicro = price.priceMicro,
): Invoice {
  const height = asset && !asset.primary ? (networkPorts(deps, asset.network)?.lastKnownHeight() ?? 0) : deps.lastKnownHeight();
  const invoice = deps.codec.issue({
    ...(asset && !asset.primary && { asset: { network: asset.network, denom: asset.denom } }),
    amountMicro,
    method: facts.method,
    routeId: price.routeId,
    expiresAt: Math.floor(deps.clock() / 1000) + deps.invoiceTtlSeconds,
    issueHeight: Math.max(0, height - 1),
    nonce: deps.nonce(),
    uses: 1,
  });
  deps.events.invoiceIssued({ routeId: price.routeId, invoiceId: invoice.id });
  return invoice;
}

/** The 402 terms of `asset`: the deployment's own for the primary, else the asset's network, denom, name, decimals. */
export function termsFor(terms: PaymentTerms, asset: PaymentAsset): PaymentTerms {
  if (asset.primary) return terms;
  return { ...terms, payTo: asset.payTo, denom: asset.denom, network: asset.network, currency: asset.name, decimals: asset.decimals };
}

/** The asset an invoice is paid in (the primary when the deps list no others). */
export function invoiceAsset(deps: CoreDeps, inv: Invoice): PaymentAsset {
  return assetOf(deps, inv) ?? primaryAsset(deps);
}

/** Why a request is refused with an invoice, and what the answer adds. */
export interface Refusal {
  /** how the request offered to pay; a metric label */
  readonly method: PayMethod;
  readonly reason: ReasonCode;
  /** why this proof or credential was refused; the body's message starts with it */
  readonly detail?: string;
  /** mark the pass offers as renewing an expired pass */
  readonly renewal?: boolean;
  /** INSUFFICIENT_BALANCE: the balance and deposit memo, merged into `prepaid` */
  readonly topUp?: PrepaidTopUp;
}

/**
 * Deny that tells the client how to pay (402, and 400/401/403 that still carry an invoice), with the
 * route's bundle and pass offers (offers.ts).
 */
export function denyWithInvoice(deps: CoreDeps, scope: RequestScope, r: Refusal): DenyDecision {
  const { facts, price } = scope;
  // One single-request invoice per asset the route is priced in, the first (the primary when priced in it) leading.
  const issued = pricesOf(deps, price).map((p) => {
    const asset = assetOf(deps, p) ?? primaryAsset(deps);
    return { asset, invoice: issueInvoice(deps, scope, asset, p.amountMicro) };
  });
  const [first, ...more] = issued as [(typeof issued)[number], ...typeof issued];
  const now = Math.floor(deps.clock() / 1000);
  const required = withAssets(
    paymentRequired(termsFor(deps.terms, first.asset), first.invoice, facts, now, r.reason, r.detail),
    more,
    facts,
    now,
  );
  // Bundles and passes are priced in the primary asset (docs/design.md "Assets").
  const offers = first.asset.primary ? issueOffers(deps, facts, price, r.renewal ?? false) : [];
  const parts = withOffers(required, deps.terms, offers, now);
  const body: PaymentRequiredBody = r.topUp ? { ...parts.body, prepaid: { ...parts.body.prepaid, ...r.topUp } } : parts.body;
  const status = parts.status;
  return {
    kind: "deny",
    decisionId: scope.decisionId,
    method: r.method,
    routeId: price.routeId,
    reason: r.reason,
    status,
    headers: parts.headers,
    body,
    outcome: status === 402 ? "payment_required" : "denied",
  };
}

/**
 * 402 for a payment that is on its way (not in a block yet, or short of confirmations): the *same*
 * invoice again, so an agent that pays what a 402 says never pays twice, and `Retry-After` in seconds
 * (when the next block is expected).
 */
export function denyPending(
  deps: CoreDeps,
  scope: RequestScope,
  invoice: Invoice,
  reason: "PAYMENT_PENDING" | "AWAITING_CONFIRMATION",
  detail: string,
): DenyDecision {
  const retryAfter = Math.max(1, Math.ceil(deps.nextBlockSeconds?.() ?? 1));
  const terms = termsFor(deps.terms, invoiceAsset(deps, invoice));
  const parts = paymentRequired(terms, invoice, scope.facts, Math.floor(deps.clock() / 1000), reason, detail);
  return {
    kind: "deny",
    decisionId: scope.decisionId,
    method: "invoice",
    routeId: scope.price.routeId,
    reason,
    status: parts.status,
    headers: { ...parts.headers, "retry-after": String(retryAfter) },
    body: parts.body,
    outcome: "payment_required",
  };
}

/**
 * Deny without an invoice: outages (503 — never ask an agent to pay because we are down), 429, and a
 * malformed request (400 INVALID_REQUEST, before any price is known).
 */
export function denyPlain(
  decisionId: string,
  method: PayMethod,
  routeId: string,
  reason: ReasonCode,
  message?: string,
  headers: Record<string, string> = {},
): DenyDecision {
  const status = REASONS[reason].status;
  return {
    kind: "deny",
    decisionId,
    method,
    routeId,
    reason,
    status,
    headers: { "content-type": "application/json", ...headers },
    body: { error: reason, message: message ?? REASONS[reason].message },
    outcome: status >= 500 ? "error" : "denied",
  };
}

/** 429 RATE_LIMITED: too many chain lookups from this client; no invoice (it already holds one). */
export function denyRateLimited(scope: RequestScope, method: PayMethod, retryAfterSeconds: number): DenyDecision {
  const message = `Too many payment proofs to look up from this client; retry in ${retryAfterSeconds} s`;
  return denyPlain(scope.decisionId, method, scope.price.routeId, "RATE_LIMITED", message, { "retry-after": String(retryAfterSeconds) });
}

/**
 * Dry run (GATEWAY_DRY_RUN): a deny becomes an allow that charged nothing; the method stays what the
 * request offered ("pass" would now read as a pass token in dynamic metadata and the refund path), and
 * upstream learns the reason it would have been denied.
 */
export function dryRunAllow(d: DenyDecision): AllowDecision {
  return {
    kind: "allow",
    decisionId: d.decisionId,
    method: d.method,
    routeId: d.routeId,
    priceMicro: 0n,
    upstreamHeaders: { "x-gate402-decision-id": d.decisionId, "x-gate402-dry-run": d.reason },
    headersToRemove: [],
    responseHeaders: {},
  };
}
