import { describe, expect, it } from "vitest";
import { parseRoutesEnv } from "../../../src/config/routes.js";
import { createPrepaidAccount } from "../../../src/core/accounts.js";
import { noEvents, type CoreDeps } from "../../../src/core/context.js";
import type { Decision, DenyDecision } from "../../../src/core/decision.js";
import type { RequestFacts } from "../../../src/core/facts.js";
import { createGate } from "../../../src/core/gate.js";
import { InvoiceCodec } from "../../../src/core/invoices.js";
import { createRateLimiter } from "../../../src/core/rate-limit.js";
import { CHAIN_ID, DENOM, facts, INVOICE_SECRET, NETWORK, PAY_TO, PAYER, txHash } from "../builders.js";
import { FakeChain, FakeStore } from "../fakes.js";

const ME = "10.0.0.7:51234";

/** A gate whose chain-lookup limiter allows a burst of 2, refilled at 1 token per second. */
function build() {
  let now = Date.UTC(2026, 10, 21, 12, 0, 0);
  let seq = 0;
  const store = new FakeStore(() => now);
  const chain = new FakeChain();
  const codec = new InvoiceCodec(INVOICE_SECRET, PAY_TO, DENOM, CHAIN_ID);
  const rules = parseRoutesEnv("/free/*=0,GET /api/*=0.001");
  const deps: CoreDeps = {
    terms: { payTo: PAY_TO, denom: DENOM, network: NETWORK, currency: "NTMPI", prepaidEnabled: true, publicUrl: "" },
    prices: { routes: () => rules, defaultPriceMicro: 1_000n },
    codec,
    chain,
    store,
    invoiceTtlSeconds: 300,
    minConfirmations: 1,
    prepaidEnabled: true,
    lastKnownHeight: () => chain.height,
    clock: () => now,
    newId: () => `dec-${++seq}`,
    nonce: () => `n${String(++seq).padStart(11, "0")}`,
    events: noEvents,
    chainLookupLimiter: createRateLimiter({ refillPerSecond: 1, capacity: 2, clock: () => now }),
  };
  return { gate: createGate(deps), store, chain, codec, advance: (ms: number) => void (now += ms) };
}

const from = (sourceAddress: string | undefined, headers: Record<string, string> = {}, over: Partial<RequestFacts> = {}) =>
  facts({ headers, ...(sourceAddress ? { sourceAddress } : {}), ...over });
const randomProof = (seed: number, source: string | undefined = ME) => from(source, { "x-payment-proof": txHash(seed) });

function asDeny(d: Decision): DenyDecision {
  if (d.kind !== "deny") throw new Error("expected deny");
  return d;
}

describe("gate: chain-lookup rate limit", () => {
  it("proofs that need a tx lookup are refused with 429 RATE_LIMITED and Retry-After once the burst is spent, without a chain call", async () => {
    const env = build();
    for (const seed of [1, 2]) expect(asDeny(await env.gate.decide(randomProof(seed))).reason).toBe("PAYMENT_NOT_FOUND");
    const d = asDeny(await env.gate.decide(randomProof(3)));
    expect(d).toMatchObject({ status: 429, reason: "RATE_LIMITED", outcome: "denied", method: "invoice" });
    expect(d.headers).toMatchObject({ "retry-after": "1", "content-type": "application/json" });
    expect(d.body).toEqual({ error: "RATE_LIMITED", message: expect.stringContaining("retry in 1 s") });
    expect(d.body["payment"]).toBeUndefined();
    expect(env.chain.calls.getTx).toBe(2);
    env.advance(1_000);
    expect(asDeny(await env.gate.decide(randomProof(4))).reason).toBe("PAYMENT_NOT_FOUND");
  });

  it("invoice-only proofs take a token only when they fall through to a chain search", async () => {
    const env = build();
    const invoiceId = (asDeny(await env.gate.decide(from(ME))).body["payment"] as { invoiceId: string }).invoiceId;
    const proof = from(ME, { "x-payment-proof": invoiceId });
    for (let i = 0; i < 2; i++) expect(asDeny(await env.gate.decide(proof)).reason).toBe("PAYMENT_PENDING");
    expect(asDeny(await env.gate.decide(proof)).reason).toBe("RATE_LIMITED");
    expect(env.chain.calls.searchByRecipient).toBe(2);
  });

  it("plain 402s, forged invoices, free routes and prepaid debits from a limited client are unaffected", async () => {
    const env = build();
    const { account, clientKey } = await createPrepaidAccount(env.store);
    await env.store.creditDeposit({ clientId: account.clientId, txHash: txHash(99), amountMicro: 10_000n, height: 1, sender: PAYER });
    for (const seed of [1, 2, 3]) await env.gate.decide(randomProof(seed));
    expect(asDeny(await env.gate.decide(randomProof(4))).reason).toBe("RATE_LIMITED");
    const plain = asDeny(await env.gate.decide(from(ME)));
    expect(plain.reason).toBe("PAYMENT_REQUIRED");
    const [payload, mac] = (plain.body["payment"] as { invoiceId: string }).invoiceId.split(".");
    const forged = `${payload!.slice(0, -1)}${payload!.endsWith("A") ? "B" : "A"}.${mac}`;
    expect(asDeny(await env.gate.decide(from(ME, { "x-payment-proof": forged }))).reason).toBe("INVALID_PROOF");
    expect((await env.gate.decide(from(ME, {}, { path: "/free/x" }))).kind).toBe("allow");
    expect((await env.gate.decide(from(ME, { "x-client-id": account.clientId, "x-client-key": clientKey }))).kind).toBe("allow");
  });

  it("clients are limited per IP, across ports; requests without a source share one bucket", async () => {
    const env = build();
    for (const seed of [1, 2]) await env.gate.decide(randomProof(seed, "10.0.0.7:1000"));
    expect(asDeny(await env.gate.decide(randomProof(3, "10.0.0.7:2000"))).reason).toBe("RATE_LIMITED");
    expect(asDeny(await env.gate.decide(randomProof(4, "[2001:db8::17]:443"))).reason).toBe("PAYMENT_NOT_FOUND");
    for (const seed of [5, 6]) await env.gate.decide(randomProof(seed, undefined));
    expect(asDeny(await env.gate.decide(randomProof(7, undefined))).reason).toBe("RATE_LIMITED");
  });
});
