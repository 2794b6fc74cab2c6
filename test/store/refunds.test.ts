import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RefundInput } from "../../src/ports/refunds.js";
import { verifyLedger } from "../../src/store/ledger-verify.js";
import type { PgStore } from "../../src/store/pg-store.js";
import { refundCharge } from "../../src/store/refunds.js";
import { fund, newAccount, openContendedStore, redeemInput, tally } from "./helpers.js";

let store: PgStore;
let close: () => Promise<void> = async () => {};

beforeAll(async () => {
  ({ store, close } = await openContendedStore());
});
afterAll(() => close());

const WINDOW_MS = 600_000;
const refund = (decisionId: string, overrides: Partial<RefundInput> = {}) =>
  refundCharge(store.pool, { decisionId, status: 503, reason: "upstream_5xx", windowMs: WINDOW_MS, ...overrides });

async function debited(price: bigint, funds: bigint) {
  const acct = await newAccount(store);
  await fund(store, acct.clientId, funds);
  const decisionId = randomUUID();
  const out = await store.debit({
    clientId: acct.clientId,
    keyHash: acct.keyHash,
    amountMicro: price,
    routeId: "search",
    method: "GET",
    ref: decisionId,
  });
  expect(out.kind).toBe("applied");
  return { acct, decisionId };
}

const balance = async (clientId: string) => (await store.getAccount(clientId))!.balanceMicro;

describe("refund of a prepaid debit", () => {
  it("20 concurrent refunds of one decision give the debit back exactly once, as a refund ledger entry", async () => {
    const { acct, decisionId } = await debited(777n, 1000n);
    const outcomes = await Promise.all(Array.from({ length: 20 }, () => refund(decisionId)));
    expect(tally(outcomes)).toEqual({ refunded: 1, duplicate: 19 });
    expect(outcomes.find((o) => o.kind === "refunded")).toEqual({
      kind: "refunded",
      charge: "prepaid",
      routeId: "search",
      amountMicro: 777n,
      clientId: acct.clientId,
    });
    expect(await balance(acct.clientId)).toBe(1000n);
    const entries = await store.pool.query(
      `SELECT kind, amount_micro::text, ref, route_id, method, call_count::int, first_ref
         FROM ledger_entries WHERE client_id = $1 ORDER BY seq`,
      [acct.clientId],
    );
    // The refund closed the open usage period first: the chain holds the call (a rollup of one), then its refund.
    expect(entries.rows.map((r) => r.kind)).toEqual(["deposit", "usage", "refund"]);
    expect(entries.rows[1]).toMatchObject({ kind: "usage", amount_micro: "-777", call_count: 1, first_ref: decisionId });
    expect(entries.rows[2]).toEqual({
      kind: "refund",
      amount_micro: "777",
      ref: decisionId,
      route_id: "search",
      method: "GET",
      call_count: null,
      first_ref: null,
    });
    expect(await verifyLedger(store)).toMatchObject({ ok: true });
  });

  it("a decision stated as an invoice use finds no prepaid debit, and an unknown one is unknown", async () => {
    const { acct, decisionId } = await debited(100n, 100n);
    expect(await refund(decisionId, { charge: "invoice" })).toEqual({ kind: "unknown" });
    expect(await refund(randomUUID())).toEqual({ kind: "unknown" });
    expect(await balance(acct.clientId)).toBe(0n);
  });

  it("a debit older than the window is expired and stays charged", async () => {
    const { acct, decisionId } = await debited(100n, 300n);
    await new Promise((r) => setTimeout(r, 60));
    expect(await refund(decisionId, { windowMs: 20 })).toEqual({ kind: "expired" });
    expect(await balance(acct.clientId)).toBe(200n);
    expect((await refund(decisionId)).kind).toBe("refunded");
  });

  it("a suspended account still gets its refund", async () => {
    const { acct, decisionId } = await debited(50n, 50n);
    await store.pool.query("UPDATE prepaid_accounts SET status = 'suspended' WHERE client_id = $1", [acct.clientId]);
    expect((await refund(decisionId, { charge: "prepaid" })).kind).toBe("refunded");
    expect(await balance(acct.clientId)).toBe(50n);
  });
});

describe("refund of an invoice use", () => {
  it("gives the use back once; the same proof then pays once more", async () => {
    const decisionId = randomUUID();
    const input = redeemInput({ decisionId, priceMicro: 900n });
    expect(await store.redeem(input)).toEqual({ kind: "applied", usesLeft: 0 });
    const outcomes = await Promise.all(Array.from({ length: 10 }, () => refund(decisionId, { charge: "invoice" })));
    expect(tally(outcomes)).toEqual({ refunded: 1, duplicate: 9 });
    expect(outcomes.find((o) => o.kind === "refunded")).toMatchObject({
      charge: "invoice",
      amountMicro: 900n,
      invoiceId: input.invoiceId,
      routeId: "api-data",
    });
    expect(await store.findRedemption(input.invoiceId)).toMatchObject({ usesLeft: 1 });
    const retry = { ...input, decisionId: randomUUID() };
    expect(await store.redeem(retry)).toEqual({ kind: "applied", usesLeft: 0 });
    expect(await store.redeem({ ...input, decisionId: randomUUID() })).toEqual({ kind: "used_up" });
  });

  it("a 3-use invoice: refunds of its uses never lift uses_left above uses; each use counts once", async () => {
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    const input = redeemInput({ uses: 3, priceMicro: 3000n });
    for (const decisionId of ids) expect((await store.redeem({ ...input, decisionId })).kind).toBe("applied");
    const outcomes = await Promise.all(ids.flatMap((d) => [refund(d), refund(d)]));
    expect(tally(outcomes)).toEqual({ refunded: 3, duplicate: 3 });
    for (const o of outcomes) if (o.kind === "refunded") expect(o.amountMicro).toBe(1000n);
    const row = await store.pool.query("SELECT uses, uses_left FROM redemptions WHERE invoice_id = $1", [input.invoiceId]);
    expect(row.rows[0]).toEqual({ uses: 3, uses_left: 3 });
  });

  it("a use redeemed without a decision id is not refundable", async () => {
    const input = redeemInput();
    await store.redeem(input);
    const uses = await store.pool.query("SELECT count(*)::int AS n FROM redemption_uses WHERE invoice_id = $1", [input.invoiceId]);
    expect(uses.rows[0].n).toBe(0);
    expect(await store.findRedemption(input.invoiceId)).toMatchObject({ usesLeft: 0 });
  });

  it("a use older than the window is expired", async () => {
    const decisionId = randomUUID();
    const input = redeemInput({ decisionId });
    await store.redeem(input);
    await new Promise((r) => setTimeout(r, 60));
    expect(await refund(decisionId, { windowMs: 20 })).toEqual({ kind: "expired" });
    expect(await store.findRedemption(input.invoiceId)).toMatchObject({ usesLeft: 0 });
  });

  it("a refused redemption records no use", async () => {
    const first = redeemInput({ decisionId: randomUUID() });
    await store.redeem(first);
    const replay = randomUUID();
    expect((await store.redeem({ ...first, decisionId: replay })).kind).toBe("used_up");
    expect(await refund(replay)).toEqual({ kind: "unknown" });
  });
});
