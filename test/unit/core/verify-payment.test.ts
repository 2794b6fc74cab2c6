import { describe, expect, it } from "vitest";
import { InvoiceCodec, type Invoice } from "../../../src/core/invoices.js";
import { chainFirstPayment, checkPayment, confirmations, paidTo, type ChainView } from "../../../src/core/verify-payment.js";
import type { ChainTx } from "../../../src/ports/chain.js";
import { CHAIN_ID, DENOM, feeTransfer, INVOICE_SECRET, OTHER, PAY_TO, PAYER, paymentTx } from "../builders.js";

const EXPIRES = 1_795_435_500;
const codec = new InvoiceCodec(INVOICE_SECRET, PAY_TO, DENOM, CHAIN_ID);
const invoice: Invoice = codec.issue({
  amountMicro: 1_000n,
  method: "GET",
  routeId: "GET /api/*",
  expiresAt: EXPIRES,
  issueHeight: 1_204_330,
  nonce: "Yq3x9LkP0aZ7",
  uses: 1,
});
const view = (over: Partial<ChainView> = {}): ChainView => ({
  payTo: PAY_TO,
  denom: DENOM,
  latestHeight: 1_204_331,
  minConfirmations: 1,
  blockTimeSec: EXPIRES - 200,
  ...over,
});

describe("checkPayment", () => {
  it("an exact payment with the invoice memo is accepted, with the payer", () => {
    expect(checkPayment(invoice, paymentTx(invoice.id, 1_000n), view())).toEqual({ ok: true, paidMicro: 1_000n, payer: PAYER });
  });

  it("an overpayment is accepted and reports what was paid", () => {
    expect(checkPayment(invoice, paymentTx(invoice.id, 1_500n), view())).toEqual({ ok: true, paidMicro: 1_500n, payer: PAYER });
  });

  it("a failed tx (code ≠ 0) is PAYMENT_NOT_FOUND even when its events show the transfer", () => {
    const r = checkPayment(invoice, paymentTx(invoice.id, 1_000n, { code: 5 }), view());
    expect(r).toMatchObject({ ok: false, reason: "PAYMENT_NOT_FOUND", message: expect.stringContaining("code 5") });
  });

  it("a memo that is not the invoice id is PAYMENT_NOT_FOUND", () => {
    const { id: _id, ...fields } = invoice;
    const other = codec.issue({ ...fields, nonce: "differentNonce" });
    expect(checkPayment(invoice, paymentTx(other.id, 1_000n), view())).toMatchObject({
      ok: false,
      reason: "PAYMENT_NOT_FOUND",
      message: expect.stringMatching(/memo/),
    });
    expect(checkPayment(invoice, paymentTx("", 1_000n), view())).toMatchObject({ ok: false, reason: "PAYMENT_NOT_FOUND" });
  });

  it("a tx paying someone else is PAYMENT_NOT_FOUND", () => {
    const tx = paymentTx(invoice.id, 1_000n, {
      transfers: [feeTransfer(), { sender: PAYER, recipient: OTHER, denom: DENOM, amountMicro: 1_000n }],
    });
    expect(checkPayment(invoice, tx, view())).toMatchObject({ ok: false, reason: "PAYMENT_NOT_FOUND" });
  });

  it("an underpayment by one uneutaro is INSUFFICIENT_AMOUNT", () => {
    expect(checkPayment(invoice, paymentTx(invoice.id, 999n), view())).toMatchObject({
      ok: false,
      reason: "INSUFFICIENT_AMOUNT",
      message: expect.stringContaining("999 of 1000"),
    });
  });

  it("the fee transfer to the fee collector never counts, even when it exceeds the price", () => {
    const tx = paymentTx(invoice.id, 0n, { transfers: [feeTransfer(50_000n)] });
    expect(checkPayment(invoice, tx, view())).toMatchObject({ ok: false, reason: "PAYMENT_NOT_FOUND" });
    const small = paymentTx(invoice.id, 0n, {
      transfers: [feeTransfer(50_000n), { sender: PAYER, recipient: PAY_TO, denom: DENOM, amountMicro: 600n }],
    });
    expect(checkPayment(invoice, small, view())).toMatchObject({ ok: false, reason: "INSUFFICIENT_AMOUNT" });
  });

  it("transfers to payTo in another denom never count: paying the invoice in another asset is INSUFFICIENT_AMOUNT", () => {
    const ibc = "ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2";
    const tx = paymentTx(invoice.id, 0n, {
      transfers: [feeTransfer(), { sender: PAYER, recipient: PAY_TO, denom: ibc, amountMicro: 5_000_000n }],
    });
    expect(checkPayment(invoice, tx, view())).toMatchObject({
      ok: false,
      reason: "INSUFFICIENT_AMOUNT",
      message: expect.stringContaining(`5000000${ibc}, not ${DENOM}: 0 of 1000`),
    });
    const mixed = paymentTx(invoice.id, 0n, {
      transfers: [
        feeTransfer(),
        { sender: PAYER, recipient: PAY_TO, denom: ibc, amountMicro: 5_000_000n },
        { sender: PAYER, recipient: PAY_TO, denom: DENOM, amountMicro: 400n },
      ],
    });
    expect(checkPayment(invoice, mixed, view())).toMatchObject({
      ok: false,
      reason: "INSUFFICIENT_AMOUNT",
      message: expect.stringContaining("400 of 1000"),
    });
  });

  it("several transfers to payTo (MsgMultiSend-like) sum up, payer is the first paying sender", () => {
    const tx: ChainTx = paymentTx(invoice.id, 0n, {
      transfers: [
        feeTransfer(),
        { sender: OTHER, recipient: PAY_TO, denom: DENOM, amountMicro: 400n },
        { sender: PAYER, recipient: OTHER, denom: DENOM, amountMicro: 10_000n },
        { sender: PAYER, recipient: PAY_TO, denom: DENOM, amountMicro: 600n },
      ],
    });
    expect(checkPayment(invoice, tx, view())).toEqual({ ok: true, paidMicro: 1_000n, payer: OTHER });
  });

  it("with minConfirmations 1 the including block is enough", () => {
    const tx = paymentTx(invoice.id, 1_000n, { height: 1_204_331 });
    expect(checkPayment(invoice, tx, view({ latestHeight: 1_204_331, minConfirmations: 1 })).ok).toBe(true);
  });

  it("with minConfirmations 3 a tx needs two blocks on top of it", () => {
    const tx = paymentTx(invoice.id, 1_000n, { height: 1_204_331 });
    expect(checkPayment(invoice, tx, view({ latestHeight: 1_204_332, minConfirmations: 3 }))).toMatchObject({
      ok: false,
      reason: "AWAITING_CONFIRMATION",
      message: expect.stringContaining("2 of 3"),
    });
    expect(checkPayment(invoice, tx, view({ latestHeight: 1_204_333, minConfirmations: 3 })).ok).toBe(true);
  });

  it("a tx included after the invoice expired is INVOICE_EXPIRED; at the expiry second it still counts", () => {
    const tx = paymentTx(invoice.id, 1_000n);
    expect(checkPayment(invoice, tx, view({ blockTimeSec: EXPIRES + 1 }))).toMatchObject({ ok: false, reason: "INVOICE_EXPIRED" });
    expect(checkPayment(invoice, tx, view({ blockTimeSec: EXPIRES })).ok).toBe(true);
  });
});

describe("paidTo and confirmations", () => {
  it("paidTo sums only payTo in denom", () => {
    const tx = paymentTx("m", 0n, {
      transfers: [
        feeTransfer(),
        { sender: PAYER, recipient: PAY_TO, denom: DENOM, amountMicro: 7n },
        { sender: PAYER, recipient: PAY_TO, denom: DENOM, amountMicro: 2n ** 60n },
      ],
    });
    expect(paidTo(tx, PAY_TO, DENOM)).toEqual({ paidMicro: 2n ** 60n + 7n, payer: PAYER });
    expect(paidTo(tx, OTHER, DENOM)).toEqual({ paidMicro: 0n, payer: "" });
  });

  it("confirmations = latest − height + 1, never negative", () => {
    expect(confirmations(100, 100)).toBe(1);
    expect(confirmations(102, 100)).toBe(3);
    expect(confirmations(98, 100)).toBe(0);
  });
});

describe("chainFirstPayment", () => {
  const at = (height: number, code = 0, memo = invoice.id) =>
    paymentTx(memo, 1_000n, { hash: `${height}`.padStart(64, "0"), height, code });

  it("of several payments with the memo in a newest-first answer, the chain-first successful one counts (a later one is a duplicate)", () => {
    const answer = [at(30), at(20, 0, "other memo"), at(12), at(11, 5), at(10)];
    expect(chainFirstPayment(answer, invoice.id)?.height).toBe(10);
    expect(chainFirstPayment(answer.slice(0, 4), invoice.id)?.height).toBe(12);
  });

  it("only failed txs: the chain-first failed one (the verifier says why it fails); none: undefined", () => {
    expect(chainFirstPayment([at(9, 5), at(8, 7)], invoice.id)?.height).toBe(8);
    expect(chainFirstPayment([at(9, 0, "other")], invoice.id)).toBeUndefined();
  });
});
