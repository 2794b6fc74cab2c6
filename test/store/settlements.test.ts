/**
 * Signed-payment settlements in Postgres: a payload is claimed once however many requests carry it,
 * the per-payer cap on unconfirmed value holds for concurrent payments, a CheckTx refusal leaves
 * nothing behind, and the chain's verdict is recorded once (a failure blocks the payer).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ReserveInput } from "../../src/ports/settlement.js";
import type { PgStore } from "../../src/store/pg-store.js";
import { pgSettlements } from "../../src/store/settlements.js";
import { openContendedStore, redeemInput, tally } from "./helpers.js";

let store: PgStore;
let close: () => Promise<void> = async () => {};
let n = 0;

beforeAll(async () => {
  ({ store, close } = await openContendedStore());
});
afterAll(() => close());

const settlements = () => pgSettlements(store.pool);
function reserveInput(o: Partial<ReserveInput> = {}): ReserveInput {
  const r = redeemInput();
  return {
    ...r,
    priceMicro: 1000n,
    paidMicro: 1000n,
    payer: `neutaro1payer${++n}`,
    optimistic: true,
    capMicro: 5000n,
    expiresAt: new Date(Date.now() + 60_000),
    ...o,
  };
}

describe("signed-payment settlements", () => {
  it("one payload in 50 concurrent requests is reserved once; the rest are replays", async () => {
    const input = reserveInput();
    const outcomes = await Promise.all(Array.from({ length: 50 }, () => settlements().reserve(input)));
    expect(tally(outcomes)).toEqual({ reserved: 1, replayed: 49 });
    expect(await settlements().payerState(input.payer)).toEqual({ unconfirmedMicro: 1000n, blocked: false });
    expect(await store.findRedemption(input.invoiceId)).toMatchObject({ txHash: input.txHash, usesLeft: 0 });
  });

  it("50 concurrent payments of one payer: exactly cap / price are reserved", async () => {
    const payer = "neutaro1concurrentpayer";
    const outcomes = await Promise.all(Array.from({ length: 50 }, () => settlements().reserve(reserveInput({ payer }))));
    expect(tally(outcomes)).toEqual({ reserved: 5, over_cap: 45 });
    expect((await settlements().payerState(payer)).unconfirmedMicro).toBe(5000n);
  });

  it("release undoes a reservation completely (claim, redemption, unconfirmed value), once", async () => {
    const input = reserveInput();
    expect((await settlements().reserve(input)).kind).toBe("reserved");
    await settlements().release(input.txHash);
    await settlements().release(input.txHash);
    expect(await store.findRedemption(input.invoiceId)).toBeNull();
    expect(await settlements().isSpent(input.txHash, input.invoiceId)).toBe(false);
    expect((await settlements().payerState(input.payer)).unconfirmedMicro).toBe(0n);
    expect((await settlements().reserve(input)).kind).toBe("reserved");
  });

  it("a failed verdict is recorded once, lowers the unconfirmed value and blocks the payer", async () => {
    const payer = "neutaro1failingpayer";
    const a = reserveInput({ payer });
    const b = reserveInput({ payer });
    await settlements().reserve(a);
    await settlements().reserve(b);
    const verdicts = await Promise.all([1, 2, 3].map(() => settlements().finish(a.txHash, { kind: "failed", code: 5 })));
    expect(verdicts.filter(Boolean)).toHaveLength(1);
    expect(await settlements().payerState(payer)).toEqual({ unconfirmedMicro: 1000n, blocked: true });
    expect((await settlements().reserve(reserveInput({ payer }))).kind).toBe("payer_blocked");
    await settlements().finish(b.txHash, { kind: "confirmed", height: 9 });
    expect(await settlements().payerState(payer)).toEqual({ unconfirmedMicro: 0n, blocked: true });
    expect(await settlements().listPending(1000)).not.toContainEqual(expect.objectContaining({ payer }));
  });

  it("a non-optimistic reservation does not count against the cap, and an invoice redeemed by another tx is refused", async () => {
    const input = reserveInput({ optimistic: false, priceMicro: 1_000_000n });
    expect((await settlements().reserve(input)).kind).toBe("reserved");
    expect((await settlements().payerState(input.payer)).unconfirmedMicro).toBe(0n);
    expect((await settlements().reserve(reserveInput({ invoiceId: input.invoiceId }))).kind).toBe("invoice_used");
  });
});
