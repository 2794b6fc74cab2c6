import type { ChainPort } from "../ports/chain.js";
import { INVOICE_PAYMENT_STATUSES, type IndexedPayment, type PaymentStatus } from "../ports/payments.js";
import type { StorePort } from "../ports/store.js";
import { DEFAULT_LATE_GRACE_SECONDS } from "./context.js";
import type { Invoice } from "./invoices.js";
import { chainFirstPayment, paidTo } from "./verify-payment.js";

/** unpaid: no payment yet · paid: paid on chain, not yet redeemed · redeemed: used · expired: unpaid past expiry */
export type InvoiceState = "unpaid" | "paid" | "redeemed" | "expired";

/** One payment the watcher recorded with this invoice as memo. */
export interface InvoicePayment {
  /** 64 uppercase hex */
  readonly txHash: string;
  readonly height: number;
  readonly blockTime: Date;
  readonly status: PaymentStatus;
  /** paid in uneutaro (bigint) */
  readonly amountMicro: bigint;
  readonly sender: string;
}

export interface InvoiceStatus {
  readonly state: InvoiceState;
  readonly txHash?: string;
  /** paid amount in uneutaro (bigint) when a payment was found */
  readonly paidMicro?: bigint;
  readonly usesLeft?: number;
  /** every recorded payment for this invoice, oldest first (matched, late, overpaid, underpaid, duplicate, …) */
  readonly payments: readonly InvoicePayment[];
}

function view(p: IndexedPayment): InvoicePayment {
  const sender = p.tx.transfers[0]?.sender ?? "";
  return { txHash: p.tx.hash, height: p.tx.height, blockTime: p.blockTime, status: p.status, amountMicro: p.amountMicro, sender };
}

/**
 * Status of an invoice for GET /invoices/:id: redemption from the store, else the payment the watcher
 * recorded, else a payment on chain (credits to payTo since the issue height whose memo is the
 * invoice id). A late payment past GATEWAY_LATE_GRACE leaves the invoice expired.
 * Throws ChainUnavailableError / StoreUnavailableError.
 */
export async function invoiceStatus(
  inv: Invoice, deps: { chain: ChainPort; store: StorePort; payTo: string; denom: string; lateGraceSeconds?: number }, nowSec: number,
): Promise<InvoiceStatus> {
  const red = await deps.store.findRedemption(inv.id);
  const recorded = (await deps.store.payments?.listPaymentsByMemo(deps.payTo, inv.id)) ?? [];
  const payments = recorded.map(view);
  if (red) return { state: red.usesLeft === 0 ? "redeemed" : "paid", txHash: red.txHash, usesLeft: red.usesLeft, payments };
  const counted = recorded.find((p) => INVOICE_PAYMENT_STATUSES.includes(p.status));
  if (counted) {
    const lapsed = counted.status === "late" && nowSec > inv.expiresAt + (deps.lateGraceSeconds ?? DEFAULT_LATE_GRACE_SECONDS);
    return { state: lapsed ? "expired" : "paid", txHash: counted.tx.hash, paidMicro: counted.amountMicro, usesLeft: lapsed ? 0 : counted.status === "late" ? 1 : inv.uses, payments };
  }
  const txs = await deps.chain.searchByRecipient(deps.payTo, inv.issueHeight, 100);
  const first = chainFirstPayment(txs, inv.id);
  const tx = first?.code === 0 ? first : undefined;
  if (tx) return { state: "paid", txHash: tx.hash, paidMicro: paidTo(tx, deps.payTo, deps.denom).paidMicro, usesLeft: inv.uses, payments };
  return { state: nowSec > inv.expiresAt ? "expired" : "unpaid", payments };
}
