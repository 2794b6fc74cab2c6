import type { ChainTx } from "../ports/chain.js";
import type { Invoice } from "./invoices.js";
import { confirmations, includedLate, lateGraceOver, paidTo } from "./payment-rules.js";
import type { ReasonCode } from "./reasons.js";

// Their home is payment-rules.ts; re-exported for the callers and tests that import them from here.
export { chainFirstPayment, confirmations, paidTo } from "./payment-rules.js";

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

const notFound = (message: string): PaymentCheck => ({ ok: false, reason: "PAYMENT_NOT_FOUND", message });

/**
 * docs/design.md verification rules for a tx presented against an invoice: code 0, memo equals the
 * invoice id, transfers to payTo in denom sum to ≥ the price, enough confirmations, block time not
 * after the invoice expiry — or, when it is, presented no later than `lateGraceSec` after the expiry
 * (then `late: true`: the caller redeems one request). Pure.
 */
export function checkPayment(invoice: Invoice, tx: ChainTx, view: ChainView): PaymentCheck {
  if (tx.code !== 0) return notFound(`Transaction ${tx.hash} failed on chain (code ${tx.code})`);
  if (tx.memo !== invoice.id) return notFound(`Transaction ${tx.hash} memo does not match the invoice`);
  const { paidMicro, payer } = paidTo(tx, view.payTo, view.denom);
  if (paidMicro === 0n) {
    // The invoice's payment, made in another asset: the payer is told the amount is not there (issue 13).
    const other = tx.transfers.find((t) => t.recipient === view.payTo && t.denom !== view.denom && t.amountMicro > 0n);
    if (other) {
      const paid = `${other.amountMicro}${other.denom}`;
      const message = `Transaction ${tx.hash} paid ${paid}, not ${view.denom}: 0 of ${invoice.amountMicro} ${view.denom}`;
      return { ok: false, reason: "INSUFFICIENT_AMOUNT", message };
    }
    return notFound(`Transaction ${tx.hash} pays nothing to ${view.payTo} in ${view.denom}`);
  }
  if (paidMicro < invoice.amountMicro) {
    const message = `Transaction ${tx.hash} paid ${paidMicro} of ${invoice.amountMicro} ${view.denom}`;
    return { ok: false, reason: "INSUFFICIENT_AMOUNT", message };
  }
  const conf = confirmations(view.latestHeight, tx.height);
  if (conf < view.minConfirmations) {
    const message = `Transaction ${tx.hash} has ${conf} of ${view.minConfirmations} confirmations`;
    return { ok: false, reason: "AWAITING_CONFIRMATION", message };
  }
  if (includedLate(invoice, view.blockTimeSec)) {
    if (lateGraceOver(invoice, Math.max(view.nowSec ?? view.blockTimeSec, view.blockTimeSec), view.lateGraceSec ?? 0)) {
      return { ok: false, reason: "INVOICE_EXPIRED", message: `Transaction ${tx.hash} was included after the invoice expired` };
    }
    return { ok: true, paidMicro, payer, late: true };
  }
  return { ok: true, paidMicro, payer };
}
