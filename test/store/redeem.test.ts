import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PgStore } from "../../src/store/pg-store.js";
import { openContendedStore, redeemInput, tally, txHash } from "./helpers.js";

let store: PgStore;
let close: () => Promise<void> = async () => {};

beforeAll(async () => {
  ({ store, close } = await openContendedStore());
});
afterAll(() => close());

describe("invoice redemption", () => {
  it("a proof sent in 50 concurrent requests pays for exactly one", async () => {
    const input = redeemInput();
    const outcomes = await Promise.all(Array.from({ length: 50 }, () => store.redeem(input)));
    expect(tally(outcomes)).toEqual({ applied: 1, used_up: 49 });
    expect(outcomes.find((o) => o.kind === "applied")).toEqual({ kind: "applied", usesLeft: 0 });
  });

  it("a 3-use invoice pays for exactly 3 of 30 concurrent requests", async () => {
    const input = redeemInput({ uses: 3 });
    const outcomes = await Promise.all(Array.from({ length: 30 }, () => store.redeem(input)));
    expect(tally(outcomes)).toEqual({ applied: 3, used_up: 27 });
    const left = outcomes.flatMap((o) => (o.kind === "applied" ? [o.usesLeft] : [])).sort();
    expect(left).toEqual([0, 1, 2]);
    expect(await store.findRedemption(input.invoiceId)).toMatchObject({ txHash: input.txHash, usesLeft: 0 });
  });

  it("an invoice redeemed with one tx is tx_mismatch with another tx, and that tx stays unclaimed", async () => {
    const first = redeemInput();
    await store.redeem(first);
    const other = txHash();
    expect(await store.redeem({ ...first, txHash: other })).toEqual({ kind: "tx_mismatch" });
    expect((await store.redeem(redeemInput({ txHash: other }))).kind).toBe("applied");
  });

  it("a tx that paid one invoice is tx_mismatch for another invoice", async () => {
    const first = redeemInput({ uses: 2 });
    await store.redeem(first);
    const second = redeemInput({ txHash: first.txHash });
    expect(await store.redeem(second)).toEqual({ kind: "tx_mismatch" });
    expect(await store.findRedemption(second.invoiceId)).toBeNull();
    expect(await store.redeem(first)).toEqual({ kind: "applied", usesLeft: 0 });
  });

  it("findRedemption reports the tx, uses left and time of a redeemed invoice, null otherwise", async () => {
    const input = redeemInput({ uses: 2 });
    const before = Date.now();
    await store.redeem(input);
    const rec = await store.findRedemption(input.invoiceId);
    expect(rec).toMatchObject({ invoiceId: input.invoiceId, txHash: input.txHash, usesLeft: 1 });
    expect(rec?.redeemedAt.getTime()).toBeGreaterThanOrEqual(before - 5_000);
    expect(await store.findRedemption("inv_never")).toBeNull();
  });

  it("the redemption records the bound route, method, price, paid amount and payer", async () => {
    const input = redeemInput({ routeId: "weather", method: "POST", priceMicro: 2500n, paidMicro: 3000n, payer: "neutaro1abc" });
    await store.redeem(input);
    const res = await store.pool.query(
      "SELECT route_id, method, price_micro::text, paid_micro::text, payer, uses FROM redemptions WHERE invoice_id = $1",
      [input.invoiceId],
    );
    expect(res.rows[0]).toEqual({
      route_id: "weather",
      method: "POST",
      price_micro: "2500",
      paid_micro: "3000",
      payer: "neutaro1abc",
      uses: 1,
    });
  });

  it("uses below 1 is a programming error", async () => {
    await expect(store.redeem(redeemInput({ uses: 0 }))).rejects.toBeInstanceOf(RangeError);
  });
});
