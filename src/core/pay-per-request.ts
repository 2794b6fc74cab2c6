import type { ChainTx } from "../ports/chain.js";
import { ChainUnavailableError } from "../ports/errors.js";
import { allow, denyPending, denyRateLimited, denyWithInvoice, invoiceAsset, paymentResponseHeaders } from "./answers.js";
import { allNetworkPorts, chainOf, priceIn } from "./asset-deps.js";
import type { CoreDeps } from "./context.js";
import type { Decision } from "./decision.js";
import type { RequestFacts } from "./facts.js";
import type { Invoice } from "./invoices.js";
import { allowExtras, redeemOfferAgain } from "./offer-redeem.js";
import { isOfferInvoice, offerBindingProblem } from "./offers.js";
import type { Price } from "./pricing.js";
import type { ChainProof } from "./proofs.js";
import { clientKey } from "./rate-limit.js";
import type { ReasonCode } from "./reasons.js";
import type { RequestScope } from "./request-scope.js";
import { CHAIN_SEARCH_LIMIT, chainFirstPayment, countsForInvoice, DEFAULT_LATE_GRACE_SECONDS } from "./payment-rules.js";
import { checkPayment } from "./verify-payment.js";

/**
 * `retryAfterSeconds` is set only with RATE_LIMITED; `pending` when the proof names a genuine,
 * unexpired invoice whose payment is not on chain yet (answered with that same invoice).
 */
type Step<T> = { ok: true; value: T } | { ok: false; reason: ReasonCode; message: string; retryAfterSeconds?: number; pending?: Invoice };
const fail = (reason: ReasonCode, message: string): Step<never> => ({ ok: false, reason, message });
const stillPending = (inv: Invoice, message: string): Step<never> => ({ ok: false, reason: "PAYMENT_PENDING", message, pending: inv });

/** Takes one chain-lookup token for this client; a failure when it has none left (→ 429). */
function overLimit(deps: CoreDeps, facts: RequestFacts): Step<never> | undefined {
  const taken = deps.chainLookupLimiter?.take(clientKey(facts.sourceAddress));
  if (!taken || taken.ok) return undefined;
  const message = "Chain lookup budget of this client used up";
  return { ok: false, reason: "RATE_LIMITED", message, retryAfterSeconds: taken.retryAfterSeconds };
}

/**
 * The invoice must be bound to this request's method, route id and price in the invoice's asset.
 * @param deps the accepted assets and primary terms (prices in other assets); absent: primary only
 */
export function bindingProblem(inv: Invoice, facts: RequestFacts, price: Price, deps?: CoreDeps): string | undefined {
  if (isOfferInvoice(inv)) return offerBindingProblem(inv, facts, price);
  if (inv.method !== facts.method) return `Invoice is for ${inv.method}, not ${facts.method}`;
  if (inv.routeId !== price.routeId) return `Invoice is for route "${inv.routeId}", not "${price.routeId}"`;
  const routePrice = deps ? priceIn(deps, price, inv) : price.priceMicro;
  if (routePrice === undefined) return `Route "${price.routeId}" is not priced in ${inv.denom} on ${inv.network}`;
  if (inv.amountMicro !== routePrice) return `Invoice price ${inv.amountMicro} differs from the route price ${routePrice} ${inv.denom}`;
  return undefined;
}

/** The paying tx, and its block time when the payment index already knows it (unix seconds). */
interface Located {
  readonly tx: ChainTx;
  readonly blockTimeSec?: number;
}

/** The invoice a proof names: issued by us, bound to this request, not spent (a replay costs no chain call). */
async function namedInvoice(deps: CoreDeps, scope: RequestScope, invoiceId: string): Promise<Step<Invoice>> {
  const inv = deps.codec.verify(invoiceId);
  if (!inv) return fail("INVALID_PROOF", "Invoice id was not issued by this gateway or was altered");
  const wrong = bindingProblem(inv, scope.facts, scope.price, deps);
  if (wrong) return fail("WRONG_RESOURCE", wrong);
  const redeemed = await deps.store.findRedemption(inv.id);
  if (redeemed && redeemed.usesLeft === 0) return fail("PROOF_ALREADY_USED", "This invoice has already been redeemed");
  return { ok: true, value: inv };
}

/**
 * The tx a bare hash names, on any network: the primary first, then the others in order. A network
 * that is down is skipped while another may have it; when none has it, its outage is the answer (503).
 */
async function findOnAnyNetwork(deps: CoreDeps, txHash: string): Promise<{ tx: ChainTx; network: string } | undefined> {
  let outage: unknown;
  for (const { network, ports } of allNetworkPorts(deps)) {
    try {
      const tx = await ports.chain.getTx(txHash);
      if (tx) return { tx, network };
    } catch (err) {
      if (!(err instanceof ChainUnavailableError)) throw err;
      outage ??= err;
    }
  }
  if (outage) throw outage;
  return undefined;
}

/**
 * The tx a hash names, on the invoice's network (any network for a bare hash); an unknown hash of a
 * genuine unexpired invoice is still pending.
 */
async function locateByHash(
  deps: CoreDeps,
  facts: RequestFacts,
  txHash: string,
  inv: Invoice | undefined,
  nowSec: number,
): Promise<Step<Located & { network?: string }>> {
  const limited = overLimit(deps, facts);
  if (limited) return limited;
  const found = inv ? { tx: await chainOf(deps, inv.network).getTx(txHash), network: inv.network } : await findOnAnyNetwork(deps, txHash);
  if (found?.tx) return { ok: true, value: { tx: found.tx, network: found.network } };
  const message = `Transaction ${txHash} not found on chain (yet)`;
  return inv && nowSec <= inv.expiresAt ? stillPending(inv, message) : fail("PAYMENT_NOT_FOUND", message);
}

/**
 * The tx paying an invoice named alone: from the payment watcher's index (one DB round trip), and only
 * when the index has no payment that counts (fresh block, watcher off) by scanning credits to payTo
 * since the invoice's issue height. Only the chain call takes from the client's rate limit.
 */
async function locateByInvoice(deps: CoreDeps, facts: RequestFacts, inv: Invoice, nowSec: number): Promise<Step<Located>> {
  const indexed = await deps.store.payments?.findPaymentByMemo(inv.payTo, inv.id);
  if (indexed && countsForInvoice(indexed.status)) {
    return { ok: true, value: { tx: indexed.tx, blockTimeSec: Math.floor(indexed.blockTime.getTime() / 1000) } };
  }
  const limited = overLimit(deps, facts);
  if (limited) return limited;
  const candidates = await chainOf(deps, inv.network).searchByRecipient(inv.payTo, inv.issueHeight, CHAIN_SEARCH_LIMIT, inv.id);
  const tx = chainFirstPayment(candidates, inv.id);
  if (tx) return { ok: true, value: { tx } };
  if (nowSec > inv.expiresAt) return fail("INVOICE_EXPIRED", "Invoice expired and no payment for it was found");
  return stillPending(inv, "No payment with this invoice as memo found on chain yet");
}

/** Resolves the invoice and its paying tx: the invoice from the proof or, for a bare tx hash, from the tx memo. */
async function resolve(deps: CoreDeps, scope: RequestScope, proof: ChainProof, nowSec: number): Promise<Step<Located & { inv: Invoice }>> {
  if (proof.txHash === undefined) {
    const named = await namedInvoice(deps, scope, proof.invoiceId);
    if (!named.ok) return named;
    const found = await locateByInvoice(deps, scope.facts, named.value, nowSec);
    return found.ok ? { ok: true, value: { ...found.value, inv: named.value } } : found;
  }
  const named = proof.invoiceId === undefined ? undefined : await namedInvoice(deps, scope, proof.invoiceId);
  if (named && !named.ok) return named;
  const found = await locateByHash(deps, scope.facts, proof.txHash, named?.value, nowSec);
  if (!found.ok) return found;
  if (named) return { ok: true, value: { ...found.value, inv: named.value } };
  const inv = deps.codec.verify(found.value.tx.memo);
  if (!inv) return fail("PAYMENT_NOT_FOUND", `Transaction ${found.value.tx.hash} does not pay a gate402 invoice (memo)`);
  // The memo names an invoice of another network: that network's tx with the same hash is not this one.
  if (found.value.network !== undefined && inv.network !== found.value.network) {
    return fail(
      "PAYMENT_NOT_FOUND",
      `Transaction ${found.value.tx.hash} is on ${found.value.network}, the invoice is paid on ${inv.network}`,
    );
  }
  const wrong = bindingProblem(inv, scope.facts, scope.price, deps);
  if (wrong) return fail("WRONG_RESOURCE", wrong);
  return { ok: true, value: { ...found.value, inv } };
}

/**
 * Pay per request: verifies a proof against the chain (docs/design.md verification rules) and redeems it
 * once, atomically, in the store. Throws ChainUnavailableError / StoreUnavailableError (→ 503).
 */
export async function payPerRequest(deps: CoreDeps, scope: RequestScope, proof: ChainProof): Promise<Decision> {
  const { price, decisionId } = scope;
  const nowSec = Math.floor(deps.clock() / 1000);
  const refuse = (reason: ReasonCode, message: string, txHash?: string, invoiceId?: string): Decision => {
    deps.events.payment({ kind: "invoice", result: "rejected", reason, routeId: price.routeId, txHash, invoiceId, decisionId });
    return denyWithInvoice(deps, scope, { method: "invoice", reason, detail: message });
  };
  const reused = await redeemOfferAgain(deps, scope, proof);
  if (reused) return reused;
  const found = await resolve(deps, scope, proof, nowSec);
  if (!found.ok && found.retryAfterSeconds !== undefined) return denyRateLimited(scope, "invoice", found.retryAfterSeconds);
  const pending = (inv: Invoice, reason: "PAYMENT_PENDING" | "AWAITING_CONFIRMATION", message: string, txHash?: string): Decision => {
    deps.events.payment({ kind: "invoice", result: "rejected", reason, routeId: price.routeId, txHash, invoiceId: inv.id, decisionId });
    return denyPending(deps, scope, inv, reason, message);
  };
  if (!found.ok && found.pending) return pending(found.pending, "PAYMENT_PENDING", found.message, proof.txHash);
  if (!found.ok) return refuse(found.reason, found.message, proof.txHash, proof.invoiceId);
  const { inv, tx } = found.value;
  // The invoice's own asset and network: only transfers in its denom to its payTo count (issue 13).
  const asset = invoiceAsset(deps, inv);
  const chain = chainOf(deps, inv.network);
  const minConfirmations = asset.primary ? deps.minConfirmations : asset.minConfirmations;
  // Inclusion is one confirmation, and a tx seen before expiry was included before it: skip those RPCs.
  const latestHeight = minConfirmations > 1 ? await chain.latestHeight() : tx.height;
  const blockTimeSec =
    found.value.blockTimeSec ?? (nowSec > inv.expiresAt ? Math.floor((await chain.blockTime(tx.height)).getTime() / 1000) : nowSec);
  const check = checkPayment(inv, tx, {
    payTo: inv.payTo,
    denom: inv.denom,
    latestHeight,
    minConfirmations,
    blockTimeSec,
    nowSec,
    lateGraceSec: deps.lateGraceSeconds ?? DEFAULT_LATE_GRACE_SECONDS,
  });
  if (!check.ok && check.reason === "AWAITING_CONFIRMATION") return pending(inv, check.reason, check.message, tx.hash);
  if (!check.ok) return refuse(check.reason, check.message, tx.hash, inv.id);
  // A late payment (within GATEWAY_LATE_GRACE) buys one request, whatever the invoice stated.
  const uses = check.late ? 1 : inv.uses;
  const outcome = await deps.store.redeem({
    invoiceId: inv.id,
    txHash: tx.hash,
    routeId: inv.routeId,
    method: inv.method,
    priceMicro: inv.amountMicro,
    paidMicro: check.paidMicro,
    payer: check.payer,
    uses,
    decisionId,
  });
  if (outcome.kind !== "applied") {
    const why =
      outcome.kind === "tx_is_deposit" ? "This transaction was credited as a prepaid deposit" : "This payment has already been redeemed";
    return refuse("PROOF_ALREADY_USED", why, tx.hash, inv.id);
  }
  deps.events.payment({
    kind: "invoice",
    result: "accepted",
    reason: "none",
    routeId: price.routeId,
    invoiceId: inv.id,
    txHash: tx.hash,
    payer: check.payer,
    amountMicro: check.paidMicro,
    decisionId,
  });
  // A bundle or pass earns its price once, at its first use.
  if (outcome.usesLeft === uses - 1) {
    const other = asset.primary ? {} : { denom: inv.denom, network: inv.network };
    deps.events.revenue({ routeId: price.routeId, method: "invoice", amountMicro: inv.amountMicro, ...other });
  }
  const extras = await allowExtras(deps, inv, uses, check.payer, outcome, decisionId);
  const receipt = { txHash: tx.hash, network: inv.network, payer: check.payer, extra: extras.receipt };
  const responseHeaders = paymentResponseHeaders(proof.header, receipt, extras.headers);
  // Upstream sees the amount in the asset paid (x-gate402-amount-micro), not the first asset's.
  const paidScope = isOfferInvoice(inv) ? scope : { ...scope, price: { ...price, priceMicro: inv.amountMicro } };
  return allow(paidScope, "invoice", { payer: check.payer, txHash: tx.hash, responseHeaders });
}
