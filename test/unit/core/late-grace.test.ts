import { describe, expect, it } from "vitest";
import { InvoiceCodec } from "../../../src/core/invoices.js";
import { checkPayment, type ChainView } from "../../../src/core/verify-payment.js";
import { CHAIN_ID, DENOM, INVOICE_SECRET, PAY_TO, paymentTx } from "../builders.js";

const EXPIRES = 1_795_435_500;
const codec = new InvoiceCodec(INVOICE_SECRET, PAY_TO, DENOM, CHAIN_ID);
const invoice = codec.issue({
  amountMicro: 1_000n,
  method: "GET",
  routeId: "GET /api/*",
  expiresAt: EXPIRES,
  issueHeight: 1,
  nonce: "late",
  uses: 5,
});
const view = (over: Partial<ChainView>): ChainView => ({
  payTo: PAY_TO,
  denom: DENOM,
  latestHeight: 1_204_331,
  minConfirmations: 1,
  blockTimeSec: EXPIRES + 30,
  ...over,
});
const tx = paymentTx(invoice.id, 1_000n);

describe("late grace (GATEWAY_LATE_GRACE)", () => {
  it("a payment included after expiry and presented within the grace is accepted as late", () => {
    expect(checkPayment(invoice, tx, view({ nowSec: EXPIRES + 3599, lateGraceSec: 3600 }))).toMatchObject({ ok: true, late: true });
  });
  it("presented after the grace it is INVOICE_EXPIRED", () => {
    expect(checkPayment(invoice, tx, view({ nowSec: EXPIRES + 3601, lateGraceSec: 3600 }))).toMatchObject({
      ok: false,
      reason: "INVOICE_EXPIRED",
    });
  });
  it("without a grace every late payment is INVOICE_EXPIRED", () => {
    expect(checkPayment(invoice, tx, view({ nowSec: EXPIRES + 31 }))).toMatchObject({ ok: false, reason: "INVOICE_EXPIRED" });
  });
  it("a payment in time is never marked late", () => {
    expect(checkPayment(invoice, tx, view({ blockTimeSec: EXPIRES - 1, nowSec: EXPIRES + 9000, lateGraceSec: 3600 }))).toEqual({
      ok: true,
      paidMicro: 1_000n,
      payer: expect.any(String),
    });
  });
});
