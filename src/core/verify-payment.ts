import type { ChainTx } from "../ports/chain.js";
import type { Invoice } from "./invoices.js";
import type { ReasonCode } from "./reasons.js";

/** Facts about the chain at verification time. */
export interface ChainView {
  readonly payTo: string;
  readonly denom: string;
  /** latest block height */
  readonly latestHeight: number;
  readonly minConfirmations: number;
  /** block time of tx.height, unix seconds */
  readonly blockTimeSec: number;
  /** now, unix seconds (for the late grace; defaults to blockTimeSec) */
  readonly nowSec?: number;
  /** GATEWAY_LATE_GRACE, seconds after expiry a late payment is still honoured (default 0: never) */
  readonly lateGraceSec?: number;
}

/** `late`: included after the invoice expired but presented within the grace: buys one request. */
export type PaymentCheck =
  | { readonly ok: true; readonly paidMicro: bigint; readonly payer: string; readonly late?: true }
  | { readonly ok: false; readonly reason: ReasonCode; readonly message: string };

/**
 * Amount a tx paid to `payTo` in `denom`: the sum of its `transfer` events with that recipient
 * (covers MsgSend, MsgMultiSend and authz MsgExec; fees go to the fee collector and never count).
 * @returns amount in uneutaro (bigint) and the first paying sender
 */
export function paidTo(tx: ChainTx, payTo: string, denom: string): { paidMicro: bigint; payer: string } {
  let paidMicro = 0n;
  let payer = "";
  for (const t of tx.transfers) {
    if (t.recipient !== payTo || t.denom !== denom) continue;
    paidMicro += t.amountMicro;
    payer ||= t.sender;
  }
  return { paidMicro, payer };
}

/**
 * The payment that counts for `memo` among `newestFirst` (a ChainPort.searchByRecipient answer, newest
 * first): the chain-first successful tx with that memo, else the chain-first failed one, else undefined.
 * Chain order, not answer order: a second payment for the same invoice is a duplicate, never THE payment.
 */
export function chainFirstPayment(newestFirst: readonly ChainTx[], memo: string): ChainTx | undefined {
  const mine = newestFirst.filter((t) => t.memo === memo).reverse();
  return mine.find((t) => t.code === 0) ?? mine[0];
}

/** confirmations = latestHeight − txHeight + 1 (inclusion = 1; CometBFT has instant finality). */
export function confirmations(latestHeight: number, txHeight: number): number {
  return Math.max(0, latestHeight - txHeight + 1);
}

/**
 * docs/design.md verification rules for a tx presented against an invoice: code 0, memo equals the
 * invoice id, transfers to payTo in denom sum to ≥ the price, enough confirmations, block time not
 * after the invoice expiry — or, when it is, presented no later than `lateGraceSec` after the expiry
 * (then `late: true`: the caller redeems one request). Pure.
 */
export function checkPayment(invoice: Invoice, tx: ChainTx, view: ChainView): PaymentCheck {
  if (tx.code !== 0) return { ok: false, reason: "PAYMENT_NOT_FOUND", message: `Transaction ${tx.hash} failed on chain (code ${tx.code})` };
  if (tx.memo !== invoice.id) return { ok: false, reason: "PAYMENT_NOT_FOUND", message: `Transaction ${tx.hash} memo does not match the invoice` };
  const { paidMicro, payer } = paidTo(tx, view.payTo, view.denom);
  if (paidMicro === 0n) {
    // The invoice's payment, made in another asset: the payer is told the amount is not there (issue 13).
    const other = tx.transfers.find((t) => t.recipient === view.payTo && t.denom !== view.denom && t.amountMicro > 0n);
    if (other) {
      return { ok: false, reason: "INSUFFICIENT_AMOUNT", message: `Transaction ${tx.hash} paid ${other.amountMicro}${other.denom}, not ${view.denom}: 0 of ${invoice.amountMicro} ${view.denom}` };
    }
    return { ok: false, reason: "PAYMENT_NOT_FOUND", message: `Transaction ${tx.hash} pays nothing to ${view.payTo} in ${view.denom}` };
  }
  if (paidMicro < invoice.amountMicro) {
    return { ok: false, reason: "INSUFFICIENT_AMOUNT", message: `Transaction ${tx.hash} paid ${paidMicro} of ${invoice.amountMicro} ${view.denom}` };
  }
  const conf = confirmations(view.latestHeight, tx.height);
  if (conf < view.minConfirmations) {
    return { ok: false, reason: "AWAITING_CONFIRMATION", message: `Transaction ${tx.hash} has ${conf} of ${view.minConfirmations} confirmations` };
  }
  if (view.blockTimeSec > invoice.expiresAt) {
    const graceEnd = invoice.expiresAt + (view.lateGraceSec ?? 0);
    if (Math.max(view.nowSec ?? view.blockTimeSec, view.blockTimeSec) > graceEnd) {
      return { ok: false, reason: "INVOICE_EXPIRED", message: `Transaction ${tx.hash} was included after the invoice expired` };
    }
    return { ok: true, paidMicro, payer, late: true };
  }
  return { ok: true, paidMicro, payer };
}
