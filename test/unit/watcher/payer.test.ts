import { describe, expect, it } from "vitest";
import { InvoiceCodec } from "../../../src/core/invoices.js";
import { checkPayment } from "../../../src/core/verify-payment.js";
import { classify } from "../../../src/watcher/classify.js";
import { CHAIN_ID, DENOM, feeTransfer, INVOICE_SECRET, OTHER, PAY_TO, PAYER, paymentTx } from "../builders.js";

const EXPIRES = 1_800_000_000;
const codec = new InvoiceCodec(INVOICE_SECRET, PAY_TO, DENOM, CHAIN_ID);
const inv = codec.issue({
  amountMicro: 1_000n,
  method: "GET",
  routeId: "r",
  expiresAt: EXPIRES,
  issueHeight: 1,
  nonce: "payer-rule",
  uses: 1,
});
const ctx = { payTo: PAY_TO, denom: DENOM, verifyInvoice: (m: string) => codec.verify(m), depositClient: () => undefined };

describe("the watcher and the verifier name the same payer (issue 11)", () => {
  // Another sender's transfer in a foreign denom comes first in the tx; PAYER pays the invoice in the denom.
  const tx = paymentTx(inv.id, 1_000n, {
    transfers: [
      feeTransfer(),
      { sender: OTHER, recipient: PAY_TO, denom: "ibc/ATOM", amountMicro: 5n },
      { sender: PAYER, recipient: PAY_TO, denom: DENOM, amountMicro: 1_000n },
    ],
  });

  it("classify records the sender of the denom's transfer as the payer, not the foreign-denom sender", () => {
    const row = classify({ ...tx, index: 0, blockTime: new Date((EXPIRES - 10) * 1000) }, ctx);
    expect(row).toMatchObject({ status: "matched", sender: PAYER, amountMicro: 1_000n, otherAmounts: { "ibc/ATOM": "5" } });
  });

  it("checkPayment names the same payer", () => {
    const view = { payTo: PAY_TO, denom: DENOM, latestHeight: tx.height, minConfirmations: 1, blockTimeSec: EXPIRES - 10 };
    expect(checkPayment(inv, tx, view)).toEqual({ ok: true, paidMicro: 1_000n, payer: PAYER });
  });
});
