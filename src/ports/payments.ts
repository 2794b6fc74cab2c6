/**
 * Payment index port: the incoming payments the payment watcher recorded (src/watcher/), read by the
 * decision core so an invoice-only proof costs one database round trip instead of a chain search.
 * Implemented by src/store/payments.ts. Throws StoreUnavailableError on outage; not found is null.
 * The index may lag the chain by a few blocks: callers fall back to the chain when it has nothing.
 */
import type { ChainTx } from "./chain.js";

/**
 * matched: paid an invoice in time · late: block time after the invoice's expiry · overpaid: more than
 * the price · underpaid: less than the price (or nothing in the denom) · unmatched: memo names no
 * invoice or account · duplicate: a later payment for an invoice already paid · deposit: credited to a
 * prepaid account · failed: the tx failed on chain (code ≠ 0)
 */
export type PaymentStatus = "matched" | "late" | "overpaid" | "underpaid" | "unmatched" | "duplicate" | "deposit" | "failed";

/** Statuses of the one payment that counts for an invoice (at most one per invoice id). */
export const INVOICE_PAYMENT_STATUSES: readonly PaymentStatus[] = ["matched", "late", "overpaid"];

/** One recorded payment. */
export interface IndexedPayment {
  /**
   * The tx as the verifier needs it: hash, height, code, memo and the transfers to the payment
   * address (one per denom, summed; `sender` is the payer by core/payment-rules.ts `Paid.payer`).
   */
  readonly tx: ChainTx;
  readonly blockTime: Date;
  readonly status: PaymentStatus;
  /** invoice named by the memo, when it verified */
  readonly invoiceId: string | null;
  /** prepaid account credited, for `deposit` */
  readonly clientId: string | null;
  /** amount to the payment address in the configured denom, uneutaro (bigint) */
  readonly amountMicro: bigint;
}

export interface PaymentIndexPort {
  /**
   * The payment that counts for `memo` (an invoice id): the matched/late/overpaid one when there is
   * one, else the earliest successful one; null when the watcher has recorded none (yet).
   * One database round trip.
   * @param recipient bech32 payment address
   */
  findPaymentByMemo(recipient: string, memo: string): Promise<IndexedPayment | null>;

  /** Every recorded payment with this memo, oldest first (bounded: at most 50). */
  listPaymentsByMemo(recipient: string, memo: string): Promise<readonly IndexedPayment[]>;
}
