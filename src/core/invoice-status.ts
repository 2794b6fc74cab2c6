import type { ChainPort } from "../ports/chain.js";
import type { StorePort } from "../ports/store.js";
import type { Invoice } from "./invoices.js";
import { paidTo } from "./verify-payment.js";

/** unpaid: no payment yet · paid: paid on chain, not yet redeemed · redeemed: used · expired: unpaid past expiry */
export type InvoiceState = "unpaid" | "paid" | "redeemed" | "expired";

export interface InvoiceStatus {
  readonly state: InvoiceState;
  readonly txHash?: string;
  /** paid amount in uneutaro (bigint) when a payment was found */
  readonly paidMicro?: bigint;
  readonly usesLeft?: number;
}

/**
 * Status of an invoice for GET /invoices/:id: redemption from the store, else a payment on chain
 * (credits to payTo since the issue height whose memo is the invoice id).
 * Throws ChainUnavailableError / StoreUnavailableError.
 */
export async function invoiceStatus(
  inv: Invoice, deps: { chain: ChainPort; store: StorePort; payTo: string; denom: string }, nowSec: number,
): Promise<InvoiceStatus> {
  const red = await deps.store.findRedemption(inv.id);
  if (red) return { state: red.usesLeft === 0 ? "redeemed" : "paid", txHash: red.txHash, usesLeft: red.usesLeft };
  const txs = await deps.chain.searchByRecipient(deps.payTo, inv.issueHeight, 100);
  const tx = txs.find((t) => t.memo === inv.id && t.code === 0);
  if (tx) return { state: "paid", txHash: tx.hash, paidMicro: paidTo(tx, deps.payTo, deps.denom).paidMicro, usesLeft: inv.uses };
  return { state: nowSec > inv.expiresAt ? "expired" : "unpaid" };
}
