import { describe, expect, it } from "vitest";
import { parseRoutesEnv } from "../../../src/config/routes.js";
import type { CoreDeps } from "../../../src/core/context.js";
import { noEvents } from "../../../src/core/context.js";
import { storeWithDeadline } from "../../../src/core/deadline.js";
import { createGate } from "../../../src/core/gate.js";
import { InvoiceCodec } from "../../../src/core/invoices.js";
import type { DebitInput, DebitOutcome, RedeemInput, RedeemOutcome, StoreCallOptions } from "../../../src/ports/store.js";
import { CHAIN_ID, DENOM, facts, INVOICE_SECRET, NETWORK, PAY_TO } from "../builders.js";
import { FakeChain, FakeStore } from "../fakes.js";

/** A FakeStore that records the options each decision-path call got. */
class RecordingStore extends FakeStore {
  readonly seen: (StoreCallOptions | undefined)[] = [];
  override debit(input: DebitInput, opts?: StoreCallOptions): Promise<DebitOutcome> {
    this.seen.push(opts);
    return super.debit(input);
  }
  override redeem(input: RedeemInput, opts?: StoreCallOptions): Promise<RedeemOutcome> {
    this.seen.push(opts);
    return super.redeem(input);
  }
}

describe("storeWithDeadline", () => {
  it("gives every decision-path call the Check's deadline, or the caller's when it is earlier", async () => {
    const store = new RecordingStore(() => 0);
    const bound = storeWithDeadline(store, 5_000);
    const input = { clientId: "c", keyHash: "k", amountMicro: 1n, routeId: "r", method: "GET", ref: "d" };
    await bound.debit(input);
    await bound.debit(input, { deadlineAt: 4_000 });
    await bound.debit(input, { deadlineAt: 9_000 });
    expect(store.seen.map((o) => o?.deadlineAt)).toEqual([5_000, 4_000, 5_000]);
  });
});

describe("gate with GATEWAY_CHECK_DEADLINE_MS", () => {
  it("a prepaid Check debits with a deadline of now + checkDeadlineMs (wall clock, not the injected clock)", async () => {
    const store = new RecordingStore(() => 0);
    const rules = parseRoutesEnv("/api/*=0.001");
    const deps: CoreDeps = {
      terms: { payTo: PAY_TO, denom: DENOM, network: NETWORK, currency: "NTMPI", prepaidEnabled: true, publicUrl: "" },
      prices: { routes: () => rules, defaultPriceMicro: 1_000n },
      codec: new InvoiceCodec(INVOICE_SECRET, PAY_TO, DENOM, CHAIN_ID),
      chain: new FakeChain(),
      store,
      invoiceTtlSeconds: 300,
      minConfirmations: 1,
      prepaidEnabled: true,
      lastKnownHeight: () => 1,
      clock: () => 0,
      newId: () => "dec-1",
      nonce: () => "n000000000001",
      events: noEvents,
      checkDeadlineMs: 1_500,
    };
    const before = Date.now();
    await createGate(deps).decide(facts({ headers: { "x-client-id": "c_abc", "x-client-key": "k_0123456789abcdef" } }));
    const after = Date.now();
    expect(store.seen).toHaveLength(1);
    const at = store.seen[0]!.deadlineAt!;
    expect(at).toBeGreaterThanOrEqual(before + 1_500);
    expect(at).toBeLessThanOrEqual(after + 1_500);
  });
});
