/**
 * The one home of "is this payment good for this invoice?" facts, shared by the verifier
 * (verify-payment.ts), the payment watcher (watcher/classify.ts), invoice status (invoice-status.ts)
 * and deposits (deposit.ts): who paid how much in a denom to an address, the late-grace rule, which
 * recorded statuses count for an invoice, and how far a chain search for an invoice's payment looks.
 * Pure. Every function takes the denom as a parameter: the caller says which asset counts.
 */
import type { ChainTx, Transfer } from "../ports/chain.js";
import { INVOICE_PAYMENT_STATUSES, type PaymentStatus } from "../ports/payments.js";

/** How long after an invoice's expiry a late payment still buys one request (GATEWAY_LATE_GRACE default), seconds. */
export const DEFAULT_LATE_GRACE_SECONDS = 3600;

/** How many recipient-matching txs a chain search for an invoice's payment reads (newest first). */
export const CHAIN_SEARCH_LIMIT = 100;

/** What a tx paid one address in one denom. */
export interface Paid {
  /** sum of the `transfer` events to the recipient in the denom, micro-units of that denom (bigint) */
  readonly paidMicro: bigint;
  /**
   * bech32 payer. Rule: the sender of the first transfer to the recipient in the denom; when no
   * transfer is in the denom (paidMicro 0n), the sender of the first transfer to the recipient in any
   * denom, so a payment in another asset still names who sent it; "" when nothing reaches the recipient.
   */
  readonly payer: string;
}

/**
 * Who paid how much in `denom` to `recipient`: the sum of the `transfer` events with that recipient
 * and denom (covers MsgSend, MsgMultiSend and authz MsgExec; fees go to the fee collector and never
 * count), and the payer by the rule on {@link Paid.payer}.
 */
export function paidIn(transfers: readonly Transfer[], recipient: string, denom: string): Paid {
  let paidMicro = 0n;
  let payer = "";
  let anySender = "";
  for (const t of transfers) {
    if (t.recipient !== recipient) continue;
    anySender ||= t.sender;
    if (t.denom !== denom) continue;
    paidMicro += t.amountMicro;
    payer ||= t.sender;
  }
  return { paidMicro, payer: payer || anySender };
}

/** {@link paidIn} over a tx's transfers: amount in micro-units of `denom` (bigint) and the payer. */
export function paidTo(tx: Pick<ChainTx, "transfers">, payTo: string, denom: string): Paid {
  return paidIn(tx.transfers, payTo, denom);
}

/** What a tx paid `recipient` in every denom but `denom`: denom → amount in its micro-units (bigint). */
export function paidInOtherDenoms(transfers: readonly Transfer[], recipient: string, denom: string): Map<string, bigint> {
  const others = new Map<string, bigint>();
  for (const t of transfers) {
    if (t.recipient === recipient && t.denom !== denom) others.set(t.denom, (others.get(t.denom) ?? 0n) + t.amountMicro);
  }
  return others;
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

/** True when the payment's block time (unix seconds) is after the invoice's expiry: a late payment. */
export function includedLate(inv: { readonly expiresAt: number }, blockTimeSec: number): boolean {
  return blockTimeSec > inv.expiresAt;
}

/**
 * The late-grace rule: a late payment buys one request while `atSec` (unix seconds: when it is
 * presented or asked about) is no later than `graceSec` after the invoice's expiry; after that the
 * invoice is expired.
 */
export function lateGraceOver(inv: { readonly expiresAt: number }, atSec: number, graceSec: number): boolean {
  return atSec > inv.expiresAt + graceSec;
}

/** True for the statuses of the one recorded payment that counts for an invoice (matched, late, overpaid). */
export function countsForInvoice(status: PaymentStatus): boolean {
  return INVOICE_PAYMENT_STATUSES.includes(status);
}
