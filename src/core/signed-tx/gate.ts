/**
 * The gate's side of a signed-transaction payload (PAYMENT-SIGNATURE / X-PAYMENT with
 * `payload.signedTx`): the memo must be a gate402 invoice bound to this request; then settle.ts
 * verifies, claims, broadcasts and allows. A refusal is a 402 with a fresh invoice, like any proof.
 */
import { allow, denyRateLimited, denyWithInvoice } from "../answers.js";
import { clientKey } from "../rate-limit.js";
import type { CoreDeps } from "../context.js";
import type { Decision } from "../decision.js";
import type { RequestFacts } from "../facts.js";
import { allowExtras } from "../offer-redeem.js";
import { bindingProblem } from "../pay-per-request.js";
import type { Price } from "../pricing.js";
import type { PaymentProof } from "../proofs.js";
import type { ReasonCode } from "../reasons.js";
import { decodeSignedTx } from "./decode.js";
import { settleSigned } from "./settle.js";

/** base64 JSON receipt for PAYMENT-RESPONSE / X-PAYMENT-RESPONSE (docs/design.md). */
export function receiptHeader(txHash: string, network: string, payer: string): string {
  return Buffer.from(JSON.stringify({ success: true, transaction: txHash, network, payer })).toString("base64");
}

/** Pays one request with a signed payment. Throws ChainUnavailableError / StoreUnavailableError (→ 503). */
export async function paySigned(
  deps: CoreDeps, facts: RequestFacts, price: Price, proof: PaymentProof, decisionId: string, strip: readonly string[],
): Promise<Decision> {
  const refuse = (reason: ReasonCode, message: string, txHash?: string, invoiceId?: string): Decision => {
    deps.events.payment({ kind: "invoice", result: "rejected", reason, routeId: price.routeId, txHash, invoiceId, decisionId });
    return denyWithInvoice(deps, facts, price, decisionId, "invoice", reason, message);
  };
  if (!deps.signedTx) return refuse("INVALID_PROOF", "This gateway does not settle signed transactions: send a txHash payload");
  const decoded = decodeSignedTx(proof.signed!.signedTx);
  if (!decoded.ok) return refuse("INVALID_PROOF", decoded.message);
  const tx = decoded.tx;
  const inv = deps.codec.verify(tx.memo);
  if (!inv) return refuse("WRONG_RESOURCE", "Signed transaction memo is not an invoice of this gateway", tx.hash);
  if (proof.invoiceId && proof.invoiceId !== inv.id) return refuse("WRONG_RESOURCE", "Signed transaction memo is not the invoice the payload accepted", tx.hash, inv.id);
  const wrong = bindingProblem(inv, facts, price);
  if (wrong) return refuse("WRONG_RESOURCE", wrong, tx.hash, inv.id);
  // Settling reads the signer's account and broadcasts: it takes from the client's chain-lookup budget.
  const taken = deps.chainLookupLimiter?.take(clientKey(facts.sourceAddress));
  if (taken && !taken.ok) return denyRateLimited(decisionId, "invoice", price.routeId, taken.retryAfterSeconds);
  const settled = await settleSigned(deps.signedTx, tx, proof.signed!.authorization, {
    chainId: deps.signedTx.chainId, prefix: deps.signedTx.prefix, payTo: deps.terms.payTo, denom: deps.terms.denom,
    minAmountMicro: inv.amountMicro, memo: inv.id, expiresAt: inv.expiresAt, nowSec: Math.floor(deps.clock() / 1000),
    latestHeight: deps.lastKnownHeight(),
  }, { invoiceId: inv.id, routeId: inv.routeId, method: inv.method, priceMicro: inv.amountMicro, uses: inv.uses });
  if (!settled.ok) return refuse(settled.reason, settled.message, settled.txHash, inv.id);
  deps.events.payment({ kind: "invoice", result: "accepted", reason: "none", routeId: price.routeId, invoiceId: inv.id, txHash: settled.txHash, payer: settled.payer, amountMicro: settled.paidMicro, decisionId });
  deps.events.revenue({ routeId: price.routeId, method: "invoice", amountMicro: inv.amountMicro });
  // A bundle's uses left, or the pass a pass invoice bought (offer-redeem.ts); nothing for a single request.
  const extras = await allowExtras(deps, inv, inv.uses, settled.payer, { kind: "applied", usesLeft: inv.uses - 1 }, decisionId);
  const receipt = Object.keys(extras.receipt).length === 0 ? receiptHeader(settled.txHash, deps.terms.network, settled.payer)
    : Buffer.from(JSON.stringify({ success: true, transaction: settled.txHash, network: deps.terms.network, payer: settled.payer, ...extras.receipt })).toString("base64");
  const responseHeaders: Record<string, string> = { "payment-response": receipt, ...extras.headers };
  if (proof.header === "x-payment") responseHeaders["x-payment-response"] = receipt;
  return allow(decisionId, "invoice", price, strip, { payer: settled.payer, txHash: settled.txHash, responseHeaders });
}
