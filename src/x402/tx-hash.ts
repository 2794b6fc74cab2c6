/**
 * Facilitator handling of the already-broadcast `{txHash}` payload: the tx must be included with
 * code 0, carry the accepted memo and pay the requirements' payTo at least the amount; settle redeems
 * it once (the same spent_txs/redemptions claim as the gate's tx-hash proofs).
 */
import type { FacilitatorReason } from "../core/catalogue.js";
import { paidTo } from "../core/verify-payment.js";
import type { SignedTxDeps } from "../core/signed-tx/settle.js";
import type { StorePort } from "../ports/store.js";
import { FACILITATOR_ROUTE_ID } from "../ports/settlement.js";

/** What the tx-hash path needs from the facilitator's options. */
interface TxHashDeps {
  readonly denom: string;
  readonly signed: SignedTxDeps;
  readonly store: StorePort;
}

type Outcome = { ok: true; txHash: string; payer: string } | { ok: false; reason: FacilitatorReason; message: string; payer?: string };

export async function settleTxHash(
  o: TxHashDeps,
  txHash: string,
  r: { payTo: string; amount: string },
  memo: string,
  settle: boolean,
): Promise<Outcome> {
  const tx = await o.signed.chain.getTx(txHash);
  if (!tx) return { ok: false, reason: "payment_not_found", message: `Transaction ${txHash} not found on chain (yet)` };
  if (tx.code !== 0) return { ok: false, reason: "payment_not_found", message: `Transaction ${txHash} failed on chain (code ${tx.code})` };
  if (tx.memo !== memo) return { ok: false, reason: "wrong_resource", message: "Transaction memo does not name this payment request" };
  const { paidMicro, payer } = paidTo(tx, r.payTo, o.denom);
  const price = BigInt(r.amount);
  if (paidMicro < price)
    return { ok: false, reason: "insufficient_amount", message: `Transaction ${txHash} paid ${paidMicro} of ${price} ${o.denom}`, payer };
  if (!settle) {
    const spent = await o.signed.settlements.isSpent(txHash, memo);
    return spent
      ? { ok: false, reason: "proof_already_used", message: "This payment has already been redeemed", payer }
      : { ok: true, txHash, payer };
  }
  const out = await o.store.redeem({
    invoiceId: memo,
    txHash,
    routeId: FACILITATOR_ROUTE_ID,
    method: "*",
    priceMicro: price,
    paidMicro,
    payer,
    uses: 1,
  });
  return out.kind === "applied"
    ? { ok: true, txHash, payer }
    : { ok: false, reason: "proof_already_used", message: "This payment has already been redeemed", payer };
}
