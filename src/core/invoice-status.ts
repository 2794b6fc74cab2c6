import type { ChainPort } from "../ports/chain.js";
import type { IndexedPayment, PaymentStatus } from "../ports/payments.js";
import type { StorePort } from "../ports/store.js";
import type { Invoice } from "./invoices.js";
import {
  CHAIN_SEARCH_LIMIT,
  chainFirstPayment,
  countsForInvoice,
  DEFAULT_LATE_GRACE_SECONDS,
  lateGraceOver,
  paidTo,
} from "./payment-rules.js";

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

function view(p: IndexedPayment, payTo: string, denom: string): InvoicePayment {
  const sender = paidTo(p.tx, payTo, denom).payer;
  return { txHash: p.tx.hash, height: p.tx.height, blockTime: p.blockTime, status: p.status, amountMicro: p.amountMicro, sender };
}

/** Where invoiceStatus looks: the ports, the payment address and the denom that counts. */
export interface InvoiceStatusDeps {
  readonly chain: ChainPort;
  readonly store: StorePort;
  readonly payTo: string;
  readonly denom: string;
  /** GATEWAY_LATE_GRACE, seconds; default DEFAULT_LATE_GRACE_SECONDS */
  readonly lateGraceSeconds?: number;
}

/**
 * Status of an invoice for GET /invoices/:id: redemption from the store, else the payment the watcher
 * recorded, else a payment on chain (credits to payTo since the issue height whose memo is the
 * invoice id). A late payment past GATEWAY_LATE_GRACE leaves the invoice expired.
 * Throws ChainUnavailableError / StoreUnavailableError.
 */
export async function invoiceStatus(inv: Invoice, deps: InvoiceStatusDeps, nowSec: number): Promise<InvoiceStatus> {
  const red = await deps.store.findRedemption(inv.id);
  const recorded = (await deps.store.payments?.listPaymentsByMemo(deps.payTo, inv.id)) ?? [];
  const payments = recorded.map((p) => view(p, deps.payTo, deps.denom));
  if (red) return { state: red.usesLeft === 0 ? "redeemed" : "paid", txHash: red.txHash, usesLeft: red.usesLeft, payments };
  const counted = recorded.find((p) => countsForInvoice(p.status));
  if (counted) {
    const late = counted.status === "late";
    const lapsed = late && lateGraceOver(inv, nowSec, deps.lateGraceSeconds ?? DEFAULT_LATE_GRACE_SECONDS);
    const usesLeft = lapsed ? 0 : late ? 1 : inv.uses;
    return { state: lapsed ? "expired" : "paid", txHash: counted.tx.hash, paidMicro: counted.amountMicro, usesLeft, payments };
  }
  const txs = await deps.chain.searchByRecipient(deps.payTo, inv.issueHeight, CHAIN_SEARCH_LIMIT);
  const first = chainFirstPayment(txs, inv.id);
  const tx = first?.code === 0 ? first : undefined;
  if (tx) return { state: "paid", txHash: tx.hash, paidMicro: paidTo(tx, deps.payTo, deps.denom).paidMicro, usesLeft: inv.uses, payments };
  return { state: nowSec > inv.expiresAt ? "expired" : "unpaid", payments };
}
