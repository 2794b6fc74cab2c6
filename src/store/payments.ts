/**
 * Read side of the `payments` table (migration 0003), written by the payment watcher. See
 * PaymentIndexPort. Each lookup is one statement on the `payments_by_memo` index.
 */
import type pg from "pg";
import type { Transfer } from "../ports/chain.js";
import type { IndexedPayment, PaymentIndexPort, PaymentStatus } from "../ports/payments.js";
import { query } from "./pool.js";

interface PaymentRow {
  tx_hash: string;
  recipient: string;
  height: string;
  block_time: Date;
  sender: string;
  denom: string;
  amount_micro: string;
  other_amounts: Record<string, string>;
  memo: string;
  code: number;
  status: PaymentStatus;
  invoice_id: string | null;
  client_id: string | null;
}

const COLUMNS = `tx_hash, recipient, height::text AS height, block_time, sender, denom, amount_micro::text AS amount_micro,
  other_amounts, memo, code, status, invoice_id, client_id`;

/** Rebuilds the transfers to the recipient the verifier sums (one per denom; amounts already summed). */
function transfersOf(row: PaymentRow): Transfer[] {
  const out: Transfer[] = [];
  const amount = BigInt(row.amount_micro);
  if (amount > 0n) out.push({ sender: row.sender, recipient: row.recipient, denom: row.denom, amountMicro: amount });
  for (const [denom, value] of Object.entries(row.other_amounts)) {
    if (/^\d{1,40}$/.test(value)) out.push({ sender: row.sender, recipient: row.recipient, denom, amountMicro: BigInt(value) });
  }
  return out;
}

function toPayment(row: PaymentRow): IndexedPayment {
  return {
    tx: { hash: row.tx_hash, height: Number(row.height), code: row.code, memo: row.memo, transfers: transfersOf(row) },
    blockTime: row.block_time,
    status: row.status,
    invoiceId: row.invoice_id,
    clientId: row.client_id,
    amountMicro: BigInt(row.amount_micro),
  };
}

/** PaymentIndexPort over a pg pool. */
export function pgPaymentIndex(pool: pg.Pool): PaymentIndexPort {
  return {
    async findPaymentByMemo(recipient, memo) {
      // The payment that counts first; else the earliest successful one (underpaid/duplicate), so the
      // verifier can give the precise refusal (INSUFFICIENT_AMOUNT) without a chain call.
      const res = await query<PaymentRow>(
        pool,
        "findPaymentByMemo",
        `SELECT ${COLUMNS} FROM payments
          WHERE memo = $1 AND recipient = $2 AND code = 0
          ORDER BY (status IN ('matched', 'late', 'overpaid')) DESC, height, tx_index
          LIMIT 1`,
        [memo, recipient],
      );
      const row = res.rows[0];
      return row ? toPayment(row) : null;
    },
    async listPaymentsByMemo(recipient, memo) {
      const res = await query<PaymentRow>(
        pool,
        "listPaymentsByMemo",
        `SELECT ${COLUMNS} FROM payments WHERE memo = $1 AND recipient = $2 ORDER BY height, tx_index LIMIT 50`,
        [memo, recipient],
      );
      return res.rows.map(toPayment);
    },
  };
}
