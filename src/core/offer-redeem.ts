import type { RedeemOutcome, RedemptionRecord } from "../ports/store.js";
import { allow, allowPass, paymentResponseHeaders } from "./answers.js";
import type { CoreDeps } from "./context.js";
import type { Decision } from "./decision.js";
import type { Invoice } from "./invoices.js";
import { offerBindingProblem } from "./offers.js";
import { PASS_HEADER } from "./passes/check.js";
import type { ChainProof } from "./proofs.js";
import type { RequestScope } from "./request-scope.js";

/** Response header of an allow that used one request of a bundle: requests the payment still buys. */
export const USES_LEFT_HEADER = "x-payment-uses-left";

/**
 * A proof of an offer invoice that was already redeemed, answered from the redemption row alone (the
 * payment was verified on chain at its first use) — no chain call:
 * - a bundle: one more use, one atomic `uses_left - 1` in the store;
 * - a pass: the pass again (same jti and expiry), so a client that lost the token is not lost its money,
 *   while it is unexpired and not revoked.
 * @returns undefined when this is not such a proof (single invoice, first use, spent, other tx): the
 *   caller takes the normal path, which verifies and refuses with the precise reason
 * @throws StoreUnavailableError
 */
export async function redeemOfferAgain(deps: CoreDeps, scope: RequestScope, proof: ChainProof): Promise<Decision | undefined> {
  if (proof.invoiceId === undefined) return undefined;
  const { facts, price, decisionId } = scope;
  const inv = deps.codec.verify(proof.invoiceId);
  if (!inv || (inv.uses < 2 && inv.passSeconds === undefined) || offerBindingProblem(inv, facts, price)) return undefined;
  const red = await deps.store.findRedemption(inv.id);
  if (!red || (proof.txHash !== undefined && proof.txHash !== red.txHash)) return undefined;
  if (inv.passSeconds !== undefined) return passAgain(deps, scope, inv, inv.passSeconds, red, proof);
  if (red.usesLeft === 0) return undefined;
  const payer = red.payer ?? "";
  const outcome = await deps.store.redeem({
    invoiceId: inv.id,
    txHash: red.txHash,
    routeId: inv.routeId,
    method: inv.method,
    priceMicro: inv.amountMicro,
    paidMicro: inv.amountMicro,
    payer,
    uses: inv.uses,
    decisionId,
  });
  if (outcome.kind !== "applied") return undefined;
  deps.events.payment({
    kind: "invoice",
    result: "accepted",
    reason: "none",
    routeId: price.routeId,
    invoiceId: inv.id,
    txHash: red.txHash,
    payer,
    decisionId,
  });
  const extras = await allowExtras(deps, inv, inv.uses, payer, outcome, decisionId);
  const receipt = { txHash: red.txHash, network: deps.terms.network, payer, extra: extras.receipt };
  const responseHeaders = paymentResponseHeaders(proof.header, receipt, extras.headers);
  return allow(scope, "invoice", { payer, txHash: red.txHash, responseHeaders });
}

/** Re-issues the pass a redeemed pass invoice bought (expiry from the redemption time). */
async function passAgain(
  deps: CoreDeps,
  scope: RequestScope,
  inv: Invoice,
  passSeconds: number,
  red: RedemptionRecord,
  proof: ChainProof,
): Promise<Decision | undefined> {
  const passes = deps.passes;
  const iat = Math.floor(red.redeemedAt.getTime() / 1000);
  const exp = iat + passSeconds;
  if (!passes || exp <= Math.floor(deps.clock() / 1000) || passes.revoked.isRevoked(inv.id)) return undefined;
  const payer = red.payer ?? "";
  const token = await passes.tokens.issue({ scope: inv.routeId, payer, jti: inv.id, exp }, iat);
  const passExpiresAt = new Date(exp * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
  const receipt = { txHash: red.txHash, network: deps.terms.network, payer, extra: { pass: token, passExpiresAt } };
  const responseHeaders = paymentResponseHeaders(proof.header, receipt, { [PASS_HEADER]: token });
  return allowPass(scope, { payer, txHash: red.txHash, responseHeaders });
}

/** What an applied redemption of an offer adds to the allow: headers and PAYMENT-RESPONSE extras. */
export interface OfferExtras {
  readonly headers: Record<string, string>;
  readonly receipt: Record<string, unknown>;
}

/**
 * Revenue once per payment (at its first use; `uses` = what the redemption bought), the uses left of a bundle, and for a pass invoice
 * the signed pass token (`X-Payment-Pass`, and `pass` / `passExpiresAt` in PAYMENT-RESPONSE).
 */
export async function allowExtras(
  deps: CoreDeps,
  inv: Invoice,
  uses: number,
  payer: string,
  outcome: RedeemOutcome & { kind: "applied" },
  decisionId: string,
): Promise<OfferExtras> {
  const first = outcome.usesLeft === uses - 1;
  const offer = inv.passSeconds !== undefined ? "pass" : inv.uses > 1 ? "bundle" : "single";
  if (first) deps.events.offerRevenue?.({ offer, amountMicro: inv.amountMicro });
  if (offer === "bundle") return { headers: { [USES_LEFT_HEADER]: String(outcome.usesLeft) }, receipt: { usesLeft: outcome.usesLeft } };
  // offer "pass" is exactly passSeconds set; the test on the field lets the type follow.
  if (inv.passSeconds === undefined || !deps.passes) return { headers: {}, receipt: {} };
  const nowSec = Math.floor(deps.clock() / 1000);
  const exp = nowSec + inv.passSeconds;
  const token = await deps.passes.tokens.issue({ scope: inv.routeId, payer, jti: inv.id, exp }, nowSec);
  deps.events.passIssued?.({ scope: inv.routeId, jti: inv.id, payer, decisionId });
  const passExpiresAt = new Date(exp * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
  return { headers: { [PASS_HEADER]: token }, receipt: { pass: token, passExpiresAt } };
}
