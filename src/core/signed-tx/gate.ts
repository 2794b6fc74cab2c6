/**
 * The gate's side of a signed-transaction payload (PAYMENT-SIGNATURE / X-PAYMENT with
 * `payload.signedTx`): the memo must be a gate402 invoice bound to this request; then settle.ts
 * verifies, claims, broadcasts and allows. A refusal is a 402 with a fresh invoice, like any proof.
 */
import { allow, denyRateLimited, denyWithInvoice, paymentResponseHeaders } from "../answers.js";
import { clientKey } from "../rate-limit.js";
import type { CoreDeps } from "../context.js";
import type { Decision } from "../decision.js";
import { allowExtras } from "../offer-redeem.js";
import { bindingProblem } from "../pay-per-request.js";
import type { SignedTxProof } from "../proofs.js";
import type { ReasonCode } from "../reasons.js";
import type { RequestScope } from "../request-scope.js";
import { decodeSignedTx } from "./decode.js";
import { settleSigned } from "./settle.js";

/** Pays one request with a signed payment. Throws ChainUnavailableError / StoreUnavailableError (→ 503). */
export async function paySigned(deps: CoreDeps, scope: RequestScope, proof: SignedTxProof): Promise<Decision> {
  const { facts, price, decisionId } = scope;
  const refuse = (reason: ReasonCode, message: string, txHash?: string, invoiceId?: string): Decision => {
    deps.events.payment({ kind: "invoice", result: "rejected", reason, routeId: price.routeId, txHash, invoiceId, decisionId });
    return denyWithInvoice(deps, scope, { method: "invoice", reason, detail: message });
  };
  if (!deps.signedTx) return refuse("INVALID_PROOF", "This gateway does not settle signed transactions: send a txHash payload");
  const decoded = decodeSignedTx(proof.signed.signedTx);
  if (!decoded.ok) return refuse("INVALID_PROOF", decoded.message);
  const tx = decoded.tx;
  const inv = deps.codec.verify(tx.memo);
  if (!inv) return refuse("WRONG_RESOURCE", "Signed transaction memo is not an invoice of this gateway", tx.hash);
  if (proof.invoiceId && proof.invoiceId !== inv.id) {
    return refuse("WRONG_RESOURCE", "Signed transaction memo is not the invoice the payload accepted", tx.hash, inv.id);
  }
  const wrong = bindingProblem(inv, facts, price, deps);
  if (wrong) return refuse("WRONG_RESOURCE", wrong, tx.hash, inv.id);
  // The facilitator broadcasts on the primary network only (docs/design.md "Assets").
  if (inv.network !== deps.terms.network || inv.denom !== deps.terms.denom) {
    const message = `Signed transactions settle only in ${deps.terms.denom} on ${deps.terms.network}: pay, then send a txHash payload`;
    return refuse("INVALID_PROOF", message, tx.hash, inv.id);
  }
  // Settling reads the signer's account and broadcasts: it takes from the client's chain-lookup budget.
  const taken = deps.chainLookupLimiter?.take(clientKey(facts.sourceAddress));
  if (taken && !taken.ok) return denyRateLimited(scope, "invoice", taken.retryAfterSeconds);
  const settled = await settleSigned(
    deps.signedTx,
    tx,
    proof.signed.authorization,
    {
      chainId: deps.signedTx.chainId,
      prefix: deps.signedTx.prefix,
      payTo: deps.terms.payTo,
      denom: deps.terms.denom,
      minAmountMicro: inv.amountMicro,
      memo: inv.id,
      expiresAt: inv.expiresAt,
      nowSec: Math.floor(deps.clock() / 1000),
      latestHeight: deps.lastKnownHeight(),
    },
    { invoiceId: inv.id, routeId: inv.routeId, method: inv.method, priceMicro: inv.amountMicro, uses: inv.uses },
  );
  if (!settled.ok) return refuse(settled.reason, settled.message, settled.txHash, inv.id);
  const { txHash, payer } = settled;
  deps.events.payment({
    kind: "invoice",
    result: "accepted",
    reason: "none",
    routeId: price.routeId,
    invoiceId: inv.id,
    txHash,
    payer,
    amountMicro: settled.paidMicro,
    decisionId,
  });
  deps.events.revenue({ routeId: price.routeId, method: "invoice", amountMicro: inv.amountMicro });
  // A bundle's uses left, or the pass a pass invoice bought (offer-redeem.ts); nothing for a single request.
  const extras = await allowExtras(deps, inv, inv.uses, payer, { kind: "applied", usesLeft: inv.uses - 1 }, decisionId);
  const receipt = { txHash, network: deps.terms.network, payer, extra: extras.receipt };
  const responseHeaders = paymentResponseHeaders(proof.header, receipt, extras.headers);
  return allow(scope, "invoice", { payer, txHash, responseHeaders });
}
