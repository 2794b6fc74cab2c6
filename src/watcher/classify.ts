/**
 * What an incoming payment is (pure): the status and the facts the `payments` row keeps. Money is
 * only the denom the context names; other denoms are recorded as text amounts. Who paid how much,
 * lateness and which statuses count are the core's payment rules (core/payment-rules.ts), the same
 * the verifier applies to a proof.
 */
import type { Transfer } from "../ports/chain.js";
import type { PaymentStatus } from "../ports/payments.js";
import type { Invoice } from "../core/invoices.js";
import { countsForInvoice, includedLate, paidIn, paidInOtherDenoms } from "../core/payment-rules.js";

/** A tx crediting the payment address, as the scan read it, with its block's time. */
export interface ObservedPayment {
  /** 64 uppercase hex */
  readonly hash: string;
  readonly height: number;
  /** position in the block */
  readonly index: number;
  readonly code: number;
  readonly memo: string;
  readonly blockTime: Date;
  readonly transfers: readonly Transfer[];
}

/** One `payments` row (migration 0003). */
export interface PaymentRow {
  readonly txHash: string;
  readonly recipient: string;
  readonly height: number;
  readonly txIndex: number;
  readonly blockTime: Date;
  readonly sender: string;
  readonly denom: string;
  /** uneutaro (bigint) to the recipient in `denom` */
  readonly amountMicro: bigint;
  /** other denoms → integer string */
  readonly otherAmounts: Readonly<Record<string, string>>;
  readonly memo: string;
  readonly code: number;
  readonly status: PaymentStatus;
  readonly invoiceId: string | null;
  /** invoice price, uneutaro (bigint), when invoiceId is set */
  readonly expectedMicro: bigint | null;
  readonly clientId: string | null;
}

export interface ClassifyContext {
  readonly payTo: string;
  /** the network's own denom: the row's denom when the memo names no invoice of an asset */
  readonly denom: string;
  /** InvoiceCodec.verify: the invoice a memo names, or null */
  readonly verifyInvoice: (memo: string) => Invoice | null;
  /** client id of the prepaid account whose deposit memo is `memo` */
  readonly depositClient: (memo: string) => string | undefined;
  /**
   * Denoms a deposit may be credited in on this network (its configured assets, config order; default: `denom`).
   * A deposit memo tx is credited in the first of them it paid; paid only in others, it is `unmatched`.
   */
  readonly depositDenoms?: readonly string[];
}

/** The amount in `denom` and its payer (payment-rules.ts paidIn), and the other denoms as integer strings. */
function amountsTo(transfers: readonly Transfer[], payTo: string, denom: string) {
  const { paidMicro: amountMicro, payer: sender } = paidIn(transfers, payTo, denom);
  const otherAmounts = Object.fromEntries([...paidInOtherDenoms(transfers, payTo, denom)].map(([d, a]) => [d, a.toString()]));
  return { amountMicro, sender, otherAmounts };
}

function invoiceStatus(inv: Invoice, amountMicro: bigint, blockTime: Date): PaymentStatus {
  if (amountMicro < inv.amountMicro || amountMicro === 0n) return "underpaid";
  // Late wins over overpaid: what the payment can still buy depends on the grace, not the excess.
  if (includedLate(inv, Math.floor(blockTime.getTime() / 1000))) return "late";
  return amountMicro > inv.amountMicro ? "overpaid" : "matched";
}

/**
 * Classifies one payment. `deposit` means "to be credited": the watcher downgrades it to `unmatched`
 * when the store refuses the credit. `duplicate` is decided by the database (one counting payment
 * per invoice), not here.
 */
export function classify(p: ObservedPayment, ctx: ClassifyContext): PaymentRow {
  // An invoice's payment counts in the invoice's denom only (issue 13): the row records that denom.
  const inv = p.memo === "" ? null : ctx.verifyInvoice(p.memo);
  const denom = inv?.denom ?? ctx.denom;
  const { amountMicro, sender, otherAmounts } = amountsTo(p.transfers, ctx.payTo, denom);
  const base = {
    txHash: p.hash,
    recipient: ctx.payTo,
    height: p.height,
    txIndex: p.index,
    blockTime: p.blockTime,
    sender,
    denom,
    amountMicro,
    otherAmounts,
    memo: p.memo,
    code: p.code,
    invoiceId: null,
    expectedMicro: null,
    clientId: null,
  };
  if (p.code !== 0) return { ...base, status: "failed" };
  if (inv) return { ...base, status: invoiceStatus(inv, amountMicro, p.blockTime), invoiceId: inv.id, expectedMicro: inv.amountMicro };
  const clientId = p.memo === "" ? undefined : ctx.depositClient(p.memo);
  if (clientId !== undefined) {
    // The deposit's asset (migration 0012): the first configured denom of this network the tx paid.
    for (const d of ctx.depositDenoms ?? [denom]) {
      const paid = amountsTo(p.transfers, ctx.payTo, d);
      if (paid.amountMicro > 0n) return { ...base, ...paid, denom: d, status: "deposit", clientId };
    }
  }
  return { ...base, status: "unmatched", clientId: clientId ?? null };
}

/**
 * Within one batch (chain order), a second counting payment for the same invoice is a duplicate.
 * Across batches the unique index `payments_one_per_invoice` decides.
 */
export function markDuplicatesInBatch(rows: readonly PaymentRow[]): PaymentRow[] {
  const counted = new Set<string>();
  return rows.map((r) => {
    if (r.invoiceId === null || !countsForInvoice(r.status)) return r;
    if (counted.has(r.invoiceId)) return { ...r, status: "duplicate" as const };
    counted.add(r.invoiceId);
    return r;
  });
}
