/**
 * One payment under the policy: static checks → reserve budget → ask the approver → pay → commit the
 * receipt. Nothing reaches the payer unless every check passed and the budget is held and persisted.
 */
import type { Budget } from "./budget.js";
import { PaymentNotSentError, PolicyViolationError } from "./errors.js";
import type { Payer, SignedOrder } from "./payer.js";
import { checkStatic, needsApproval, type CompiledPolicy } from "./policy.js";
import type { BufferedRequest } from "./request.js";
import type { Receipt } from "./state.js";

export interface SpendDeps {
  readonly policy: CompiledPolicy;
  readonly budget: Budget;
  readonly payer: Payer;
}

/** What to pay, and what to write on the receipt. */
export interface SpendOrder {
  readonly kind: "invoice" | "deposit";
  readonly payTo: string;
  /** uneutaro */
  readonly amountMicro: bigint;
  readonly denom: string;
  readonly network: string;
  readonly memo: string;
  readonly invoiceId?: string;
  readonly clientId?: string;
  /** present with x402 v2 PAYMENT-SIGNATURE; sign without broadcasting when the payer can (payer.sign) */
  readonly x402v2?: { readonly signOnly: boolean };
  /** what an invoice payment buys (offers.ts); recorded on the receipt */
  readonly offer?: "single" | "bundle" | "pass";
  readonly uses?: number;
  readonly scope?: string;
}

const TX_HASH_RE = /^[0-9A-Fa-f]{64}$/;

/**
 * @returns the committed receipt (status unredeemed), persisted before this resolves
 * @throws PolicyViolationError (nothing paid, nothing held); PaymentNotSentError (nothing paid, hold
 *   released); any other payer error (maybe paid: the hold stays counted)
 */
export async function spend(deps: SpendDeps, req: BufferedRequest, o: SpendOrder): Promise<Receipt> {
  const { policy, budget, payer } = deps;
  checkStatic(policy, { url: req.url, payTo: o.payTo, amountMicro: o.amountMicro, denom: o.denom, network: o.network });
  const reservation = await budget.reserve(o.amountMicro);
  let txHash: string;
  let signed: SignedOrder | undefined;
  try {
    if (needsApproval(policy, o.amountMicro)) {
      const approved = await policy.approve!({
        kind: o.kind,
        url: req.url,
        method: req.method,
        payTo: o.payTo,
        amountMicro: o.amountMicro,
        denom: o.denom,
        network: o.network,
        ...(o.invoiceId !== undefined && { invoiceId: o.invoiceId }),
      }).catch(() => false);
      if (approved !== true)
        throw new PolicyViolationError("DENIED_BY_APPROVER", `the approver refused ${o.amountMicro} ${o.denom} to ${o.payTo}`);
    }
    const order = { payTo: o.payTo, amountMicro: o.amountMicro, denom: o.denom, memo: o.memo, network: o.network };
    if (o.x402v2?.signOnly && payer.sign) ({ txHash } = signed = await payer.sign(order));
    else ({ txHash } = await payer.pay(order));
  } catch (err) {
    if (err instanceof PolicyViolationError || err instanceof PaymentNotSentError) await budget.release(reservation);
    throw err;
  }
  // The money has left; a payer that returns garbage leaves the hold counted and says so.
  if (typeof txHash !== "string" || !TX_HASH_RE.test(txHash))
    throw new Error(`payer returned an invalid tx hash ${JSON.stringify(txHash)}; the payment may have been made`);
  return budget.commit(reservation, {
    kind: o.kind,
    requestKey: req.key,
    memo: o.memo,
    txHash,
    amountMicro: o.amountMicro,
    denom: o.denom,
    payTo: o.payTo,
    network: o.network,
    url: req.url,
    method: req.method,
    ...(o.invoiceId !== undefined && { invoiceId: o.invoiceId }),
    ...(o.clientId !== undefined && { clientId: o.clientId }),
    ...(o.x402v2 && { proofHeader: "payment-signature" as const }),
    ...(signed && { signedTx: signed.signedTx, authorization: signed.authorization }),
    ...(o.offer !== undefined && { offer: o.offer, uses: o.uses ?? 1 }),
    ...(o.scope !== undefined && { scope: o.scope }),
  });
}
