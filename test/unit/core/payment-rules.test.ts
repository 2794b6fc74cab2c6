import { describe, expect, it } from "vitest";
import {
  CHAIN_SEARCH_LIMIT,
  countsForInvoice,
  includedLate,
  lateGraceOver,
  paidIn,
  paidInOtherDenoms,
} from "../../../src/core/payment-rules.js";
import type { Transfer } from "../../../src/ports/chain.js";
import { DENOM, feeTransfer, OTHER, PAY_TO, PAYER } from "../builders.js";

const ATOM = "ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2";
const to = (sender: string, denom: string, amountMicro: bigint, recipient = PAY_TO): Transfer => ({
  sender,
  recipient,
  denom,
  amountMicro,
});

describe("paidIn: who paid how much in this denom to this address", () => {
  it("sums every transfer to the recipient in the denom; fees and other recipients never count", () => {
    const transfers = [feeTransfer(), to(PAYER, DENOM, 600n), to(PAYER, DENOM, 400n), to(PAYER, DENOM, 9_000n, OTHER)];
    expect(paidIn(transfers, PAY_TO, DENOM)).toEqual({ paidMicro: 1_000n, payer: PAYER });
  });

  it("the payer is the sender of the denom's transfer, not an earlier sender of another denom", () => {
    const transfers = [feeTransfer(5_000n, OTHER), to(OTHER, ATOM, 7n), to(PAYER, DENOM, 1_000n)];
    expect(paidIn(transfers, PAY_TO, DENOM)).toEqual({ paidMicro: 1_000n, payer: PAYER });
    // The denom is a parameter: asked about the other asset, the other sender paid.
    expect(paidIn(transfers, PAY_TO, ATOM)).toEqual({ paidMicro: 7n, payer: OTHER });
  });

  it("nothing in the denom: 0n, and the payer is whoever sent the recipient anything; nothing at all: no payer", () => {
    expect(paidIn([to(OTHER, ATOM, 7n)], PAY_TO, DENOM)).toEqual({ paidMicro: 0n, payer: OTHER });
    expect(paidIn([feeTransfer()], PAY_TO, DENOM)).toEqual({ paidMicro: 0n, payer: "" });
  });

  it("the other denoms are summed per denom", () => {
    const transfers = [to(OTHER, ATOM, 7n), to(PAYER, DENOM, 1n), to(PAYER, ATOM, 3n), to(PAYER, "uother", 2n, OTHER)];
    expect([...paidInOtherDenoms(transfers, PAY_TO, DENOM)]).toEqual([[ATOM, 10n]]);
  });
});

describe("late grace and counting statuses", () => {
  const inv = { expiresAt: 1_000 };
  it("a payment is late when its block time is after the expiry; the grace ends grace seconds after the expiry", () => {
    expect([includedLate(inv, 1_000), includedLate(inv, 1_001)]).toEqual([false, true]);
    expect([lateGraceOver(inv, 4_600, 3_600), lateGraceOver(inv, 4_601, 3_600), lateGraceOver(inv, 1_001, 0)]).toEqual([false, true, true]);
  });
  it("only matched, late and overpaid count for an invoice", () => {
    const all = ["matched", "late", "overpaid", "underpaid", "unmatched", "duplicate", "deposit", "failed"] as const;
    expect(all.filter(countsForInvoice)).toEqual(["matched", "late", "overpaid"]);
    expect(CHAIN_SEARCH_LIMIT).toBeGreaterThan(0);
  });
});
