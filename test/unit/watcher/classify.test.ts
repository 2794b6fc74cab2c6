import { describe, expect, it } from "vitest";
import { InvoiceCodec } from "../../../src/core/invoices.js";
import { classify, markDuplicatesInBatch, type ObservedPayment } from "../../../src/watcher/classify.js";

const PAY_TO = "neutaro1paytoxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";
const PAYER = "neutaro1payerxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";
const codec = new InvoiceCodec("unit-secret-unit-secret-unit-secret-00", PAY_TO, "uneutaro", "Neutaro-1");
const EXPIRES = 1_800_000_000;
const inv = codec.issue({ amountMicro: 1000n, method: "GET", routeId: "r", expiresAt: EXPIRES, issueHeight: 1, nonce: "n1", uses: 1 });
const ctx = {
  payTo: PAY_TO,
  denom: "uneutaro",
  verifyInvoice: (m: string) => codec.verify(m),
  depositClient: (m: string) => (m === "dep-memo" ? "client-1" : undefined),
};

function payment(memo: string, amountMicro: bigint, over: Partial<ObservedPayment> = {}): ObservedPayment {
  return {
    hash: "A".repeat(64),
    height: 10,
    index: 0,
    code: 0,
    memo,
    blockTime: new Date((EXPIRES - 10) * 1000),
    transfers: [
      { sender: PAYER, recipient: "neutaro1feecollector", denom: "uneutaro", amountMicro: 5000n },
      { sender: PAYER, recipient: PAY_TO, denom: "uneutaro", amountMicro },
    ],
    ...over,
  };
}

describe("classify", () => {
  it("an exact payment before expiry is matched, with the invoice and its price recorded", () => {
    expect(classify(payment(inv.id, 1000n), ctx)).toMatchObject({
      status: "matched",
      invoiceId: inv.id,
      expectedMicro: 1000n,
      amountMicro: 1000n,
      sender: PAYER,
    });
  });
  it("more than the price is overpaid; less is underpaid", () => {
    expect(classify(payment(inv.id, 1001n), ctx).status).toBe("overpaid");
    expect(classify(payment(inv.id, 999n), ctx).status).toBe("underpaid");
  });
  it("a payment included after the invoice expired is late, even when it overpaid", () => {
    const late = { blockTime: new Date((EXPIRES + 1) * 1000) };
    expect(classify(payment(inv.id, 1000n, late), ctx).status).toBe("late");
    expect(classify(payment(inv.id, 5000n, late), ctx).status).toBe("late");
  });
  it("fees never count: only transfers to the payment address in the denom are money", () => {
    const row = classify(
      payment(inv.id, 0n, { transfers: [{ sender: PAYER, recipient: PAY_TO, denom: "ibc/ATOM", amountMicro: 2000n }] }),
      ctx,
    );
    expect(row).toMatchObject({ status: "underpaid", amountMicro: 0n, otherAmounts: { "ibc/ATOM": "2000" } });
  });
  it("an account's deposit memo is a deposit for that client; an unknown or forged memo is unmatched", () => {
    expect(classify(payment("dep-memo", 10n), ctx)).toMatchObject({ status: "deposit", clientId: "client-1" });
    expect(classify(payment("hello", 10n), ctx)).toMatchObject({ status: "unmatched", invoiceId: null });
    expect(classify(payment(`${inv.id.split(".")[0]}.AAAAAAAAAAAAAAAAAAAAAA`, 1000n), ctx).status).toBe("unmatched");
  });
  it("a failed tx is recorded as failed whatever its memo", () => {
    expect(classify(payment(inv.id, 1000n, { code: 5 }), ctx).status).toBe("failed");
  });
  it("a second counting payment for one invoice in the same batch is a duplicate", () => {
    const rows = [
      payment(inv.id, 1000n),
      payment(inv.id, 1000n, { hash: "B".repeat(64) }),
      payment(inv.id, 10n, { hash: "C".repeat(64) }),
    ].map((p) => classify(p, ctx));
    expect(markDuplicatesInBatch(rows).map((r) => r.status)).toEqual(["matched", "duplicate", "underpaid"]);
  });
});
