import { describe, expect, it } from "vitest";
import { parseRoutesYaml } from "../../../src/config/routes.js";
import type { CoreDeps, CoreEvents } from "../../../src/core/context.js";
import type { AllowDecision, Decision, DenyDecision } from "../../../src/core/decision.js";
import type { RequestFacts } from "../../../src/core/facts.js";
import { createGate } from "../../../src/core/gate.js";
import { InvoiceCodec, type Invoice } from "../../../src/core/invoices.js";
import { RevokedPasses } from "../../../src/core/passes/revocations.js";
import { createPassTokens } from "../../../src/core/passes/tokens.js";
import { CHAIN_ID, DENOM, facts, feeTransfer, INVOICE_SECRET, NETWORK, PAY_TO, PAYER, txHash } from "../builders.js";
import { FakeChain, FakeStore } from "../fakes.js";

const START_MS = Date.UTC(2026, 10, 30, 12, 0, 0);
const ROUTES = `routes:
  - id: search
    method: GET
    pattern: /api/search/*
    price: "0.001"
    bundles: "5=0.004,100=0.05"
    scope: api
    passes: [{ seconds: 3600, price: "1.0" }]
  - id: write
    method: POST
    pattern: /api/search/*
    price: "0.002"
    scope: api
  - id: other
    pattern: /other/*
    price: "0.001"
    scope: other
    passes: [{ seconds: 600, price: "0.1" }]
  - id: plain
    pattern: /plain/*
    price: "0.001"
`;
const key = (kid: string, c: string) => ({ kid, secret: new TextEncoder().encode(c.repeat(32)) });

function build(over: Partial<CoreDeps> = {}) {
  let now = START_MS;
  let seq = 0;
  const store = new FakeStore(() => now);
  const chain = new FakeChain();
  const codec = new InvoiceCodec(INVOICE_SECRET, PAY_TO, DENOM, CHAIN_ID);
  const rules = parseRoutesYaml(ROUTES);
  const revoked = new RevokedPasses();
  const checks: string[] = [];
  const revenue: { offer: string; amountMicro: bigint }[] = [];
  const events: CoreEvents = {
    invoiceIssued() {},
    payment() {},
    revenue() {},
    prepaidDebit() {},
    passCheck: (e) => void checks.push(e.result),
    offerRevenue: (e) => void revenue.push(e),
  };
  const tokens = createPassTokens({ signing: key("k2", "b"), verifying: [key("k1", "a")] });
  const deps: CoreDeps = {
    terms: { payTo: PAY_TO, denom: DENOM, network: NETWORK, currency: "NTMPI", prepaidEnabled: true, publicUrl: "" },
    prices: { routes: () => rules, defaultPriceMicro: 2_000n },
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
    events,
    passes: { tokens, revoked },
    ...over,
  };
  return { gate: createGate(deps), store, chain, codec, revoked, checks, revenue, tokens, advance: (ms: number) => void (now += ms) };
}
type Env = ReturnType<typeof build>;

function asDeny(d: Decision): DenyDecision {
  if (d.kind !== "deny") throw new Error(`expected deny, got allow (${d.method})`);
  return d;
}
function asAllow(d: Decision): AllowDecision {
  if (d.kind !== "allow") throw new Error(`expected allow, got ${d.status} ${d.reason}: ${JSON.stringify(d.body["message"])}`);
  return d;
}
const search = (over: Partial<RequestFacts> = {}) => facts({ path: "/api/search/q", ...over });
const decode = (b64: string | undefined) =>
  JSON.parse(Buffer.from(b64!, "base64").toString("utf8")) as { accepts: { amount: string; extra: Record<string, unknown> }[] };
type Offer = { kind: string; invoiceId: string; uses?: number; seconds?: number; scope?: string; renewal?: boolean; amountMicro: string };
const offersOf = (d: DenyDecision) => (d.body["payment"] as { offers?: Offer[] }).offers;

async function offer(env: Env, kind: "bundle" | "pass", f = search()): Promise<Invoice> {
  const o = offersOf(asDeny(await env.gate.decide(f)))!.find((x) => x.kind === kind)!;
  return env.codec.verify(o.invoiceId)!;
}
function pay(env: Env, inv: Invoice, seed: number) {
  return env.chain.include({
    hash: txHash(seed),
    height: env.chain.height + 1,
    code: 0,
    memo: inv.id,
    transfers: [feeTransfer(), { sender: PAYER, recipient: PAY_TO, denom: DENOM, amountMicro: inv.amountMicro }],
  });
}
const proof = (inv: Invoice, hash: string, over: Partial<RequestFacts> = {}) =>
  search({ headers: { "x-payment-proof": `${inv.id}:${hash}` }, ...over });

describe("offers in the 402", () => {
  it("a route with bundles and a pass lists each as its own invoice in v1 accepts, the v2 header and payment.offers", async () => {
    const env = build();
    const d = asDeny(await env.gate.decide(search()));
    const accepts = d.body["accepts"] as { maxAmountRequired: string; extra: Record<string, unknown> }[];
    expect(accepts.map((a) => a.maxAmountRequired)).toEqual(["1000", "4000", "50000", "1000000"]);
    expect(accepts[0]!.extra["uses"]).toBeUndefined();
    expect(accepts.slice(1).map((a) => a.extra["uses"] ?? a.extra["pass"])).toEqual([5, 100, { scope: "api", seconds: 3600 }]);
    const v2 = decode(d.headers["payment-required"]);
    expect(v2.accepts.map((a) => [a.amount, a.extra["invoiceId"]])).toEqual(
      accepts.map((a) => [a.maxAmountRequired, a.extra["invoiceId"]]),
    );
    const ids = accepts.map((a) => String(a.extra["invoiceId"]));
    expect(new Set(ids).size).toBe(4);
    expect(offersOf(d)!.map((o) => [o.kind, o.invoiceId, o.uses ?? o.seconds])).toEqual([
      ["bundle", ids[1], 5],
      ["bundle", ids[2], 100],
      ["pass", ids[3], 3600],
    ]);
    expect(env.codec.verify(ids[1]!)).toMatchObject({ uses: 5, amountMicro: 4_000n, method: "GET", routeId: "search" });
    expect(env.codec.verify(ids[3]!)).toMatchObject({
      uses: 1,
      amountMicro: 1_000_000n,
      method: "PASS",
      routeId: "api",
      passSeconds: 3600,
    });
    for (const id of ids) expect(Buffer.byteLength(id)).toBeLessThan(256);
  });

  it("a route without offers keeps the single-request 402; context_extensions bundles add bundles", async () => {
    const env = build();
    const plain = asDeny(await env.gate.decide(facts({ path: "/plain/x" })));
    expect(plain.body["accepts"]).toHaveLength(1);
    expect(offersOf(plain)).toBeUndefined();
    const ce = asDeny(await env.gate.decide(facts({ path: "/plain/x", contextExtensions: { bundles: "10=0.009" } })));
    expect(offersOf(ce)!.map((o) => [o.kind, o.uses, o.amountMicro])).toEqual([["bundle", 10, "9000"]]);
  });

  it("an unparsable context_extensions bundle list is an operator error (throws), not the client's", async () => {
    const env = build();
    await expect(env.gate.decide(facts({ path: "/plain/x", contextExtensions: { bundles: "1=0.1" } }))).rejects.toThrow(
      /uses must be an integer from 2/,
    );
  });
});

describe("bundles", () => {
  it("one payment of a bundle of 5 buys exactly 5 requests, counting down in X-Payment-Uses-Left, with one chain lookup", async () => {
    const env = build();
    const inv = await offer(env, "bundle");
    const tx = pay(env, inv, 1);
    const left: string[] = [];
    for (let i = 0; i < 5; i++) left.push(asAllow(await env.gate.decide(proof(inv, tx.hash))).responseHeaders["x-payment-uses-left"]!);
    expect(left).toEqual(["4", "3", "2", "1", "0"]);
    expect(asDeny(await env.gate.decide(proof(inv, tx.hash))).reason).toBe("PROOF_ALREADY_USED");
    expect(env.chain.calls.getTx).toBe(1);
    expect(env.revenue).toEqual([{ offer: "bundle", amountMicro: 4_000n }]);
  });

  it("the invoice id alone redeems later uses of a paid bundle", async () => {
    const env = build();
    const inv = await offer(env, "bundle");
    const tx = pay(env, inv, 2);
    asAllow(await env.gate.decide(proof(inv, tx.hash)));
    const again = asAllow(await env.gate.decide(search({ headers: { "x-payment-proof": inv.id } })));
    expect(again.responseHeaders["x-payment-uses-left"]).toBe("3");
    expect(again.upstreamHeaders["x-gate402-payer"]).toBe(PAYER);
  });

  it("a bundle proof is refused on another route and on another method", async () => {
    const env = build();
    const inv = await offer(env, "bundle");
    const tx = pay(env, inv, 3);
    expect(asDeny(await env.gate.decide(proof(inv, tx.hash, { path: "/plain/x" }))).reason).toBe("WRONG_RESOURCE");
    expect(asDeny(await env.gate.decide(proof(inv, tx.hash, { method: "POST" }))).reason).toBe("WRONG_RESOURCE");
    asAllow(await env.gate.decide(proof(inv, tx.hash)));
    expect(asDeny(await env.gate.decide(search({ method: "POST", headers: { "x-payment-proof": inv.id } }))).reason).toBe("WRONG_RESOURCE");
  });

  it("a bundle the route no longer sells (or never sold at that price) is WRONG_RESOURCE", async () => {
    const env = build();
    const forged = env.codec.issue({
      amountMicro: 1_000n,
      method: "GET",
      routeId: "search",
      expiresAt: START_MS / 1000 + 300,
      issueHeight: 0,
      nonce: "cheap",
      uses: 100,
    });
    const tx = pay(env, forged, 4);
    expect(asDeny(await env.gate.decide(proof(forged, tx.hash))).reason).toBe("WRONG_RESOURCE");
  });
});

async function buyPass(env: Env, seed = 9) {
  const inv = await offer(env, "pass");
  const tx = pay(env, inv, seed);
  const bought = asAllow(await env.gate.decide(proof(inv, tx.hash)));
  return { inv, token: bought.responseHeaders["x-payment-pass"]!, bought };
}

describe("passes", () => {
  it("paying a pass invoice allows the request and returns a signed pass (header and PAYMENT-RESPONSE)", async () => {
    const env = build();
    const { inv, token, bought } = await buyPass(env);
    expect(token.split(".")).toHaveLength(3);
    const header = JSON.parse(Buffer.from(token.split(".")[0]!, "base64url").toString());
    expect(header).toEqual({ alg: "HS256", kid: "k2", typ: "gate402-pass+jwt" });
    const receipt = decode(bought.responseHeaders["payment-response"]) as unknown as Record<string, unknown>;
    expect(receipt).toMatchObject({ success: true, pass: token, passExpiresAt: "2026-11-30T13:00:00Z" });
    const v = await env.tokens.verify(token, START_MS / 1000);
    expect(v).toEqual({ kind: "valid", claims: { scope: "api", payer: PAYER, jti: inv.id, exp: START_MS / 1000 + 3600 } });
    expect(env.revenue).toEqual([{ offer: "pass", amountMicro: 1_000_000n }]);
  });

  it("1,000 calls with the pass on any route and method of its scope touch neither store nor chain", async () => {
    const env = build();
    const { token } = await buyPass(env);
    const storeCalls = env.store.calls;
    const chainCalls = { ...env.chain.calls };
    for (let i = 0; i < 1000; i++) {
      const f =
        i % 2
          ? search({ headers: { "x-payment-pass": token } })
          : search({ method: "POST", headers: { authorization: `Bearer ${token}` } });
      const d = asAllow(await env.gate.decide(f));
      expect(d.method).toBe("pass");
    }
    expect(env.store.calls).toBe(storeCalls);
    expect(env.chain.calls).toEqual(chainCalls);
    expect(env.checks.filter((c) => c === "valid")).toHaveLength(1000);
  });

  it("the allow strips the pass header and names the payer upstream", async () => {
    const env = build();
    const { token } = await buyPass(env);
    const d = asAllow(await env.gate.decide(search({ headers: { "x-payment-pass": token } })));
    expect(d.headersToRemove).toContain("x-payment-pass");
    expect(d.upstreamHeaders).toMatchObject({ "x-gate402-paid-by": "pass", "x-gate402-payer": PAYER, "x-gate402-amount-micro": "0" });
  });

  it("after expiry: 402 PASS_EXPIRED with the normal offers plus the pass offer marked as renewal", async () => {
    const env = build();
    const { token } = await buyPass(env);
    env.advance(3600_000);
    const d = asDeny(await env.gate.decide(search({ headers: { "x-payment-pass": token } })));
    expect(d).toMatchObject({ status: 402, reason: "PASS_EXPIRED" });
    const offers = offersOf(d)!;
    expect(offers.map((o) => o.kind)).toEqual(["bundle", "bundle", "pass"]);
    expect(offers[2]).toMatchObject({ scope: "api", seconds: 3600, renewal: true });
    expect((d.body["accepts"] as unknown[]).length).toBe(4);
  });

  it("a revoked pass is refused from the in-memory list", async () => {
    const env = build();
    const { inv, token } = await buyPass(env);
    env.revoked.add(inv.id);
    expect(asDeny(await env.gate.decide(search({ headers: { "x-payment-pass": token } })))).toMatchObject({
      status: 402,
      reason: "PASS_REVOKED",
    });
  });

  it("a pass signed by an unknown key, altered, or for another scope is refused", async () => {
    const env = build();
    const { inv, token } = await buyPass(env);
    const stranger = createPassTokens({ signing: key("k9", "z"), verifying: [] });
    const foreign = await stranger.issue({ scope: "api", payer: PAYER, jti: inv.id, exp: START_MS / 1000 + 3600 }, START_MS / 1000);
    expect(asDeny(await env.gate.decide(search({ headers: { "x-payment-pass": foreign } })))).toMatchObject({
      status: 400,
      reason: "INVALID_PROOF",
    });
    const [h, p, s] = token.split(".");
    const claims = JSON.parse(Buffer.from(p!, "base64url").toString());
    const altered = [h, Buffer.from(JSON.stringify({ ...claims, exp: claims.exp + 86_400 })).toString("base64url"), s].join(".");
    expect(asDeny(await env.gate.decide(search({ headers: { "x-payment-pass": altered } })))).toMatchObject({
      status: 400,
      reason: "INVALID_PROOF",
    });
    const other = asDeny(await env.gate.decide(facts({ path: "/other/x", headers: { "x-payment-pass": token } })));
    expect(other).toMatchObject({ status: 402, reason: "WRONG_RESOURCE" });
    expect(asDeny(await env.gate.decide(facts({ path: "/plain/x", headers: { "x-payment-pass": token } }))).reason).toBe("WRONG_RESOURCE");
  });

  it("an old verification key still accepts the passes it signed (rotation)", async () => {
    const env = build();
    const old = createPassTokens({ signing: key("k1", "a"), verifying: [] });
    const token = await old.issue({ scope: "api", payer: PAYER, jti: "x".repeat(20), exp: START_MS / 1000 + 60 }, START_MS / 1000);
    expect(asAllow(await env.gate.decide(search({ headers: { "x-payment-pass": token } }))).method).toBe("pass");
  });

  it("a paid pass invoice is refused on a route of another scope; presented again it returns the same pass until expiry or revocation", async () => {
    const env = build();
    const inv = await offer(env, "pass");
    const tx = pay(env, inv, 11);
    expect(asDeny(await env.gate.decide(proof(inv, tx.hash, { path: "/other/x" }))).reason).toBe("WRONG_RESOURCE");
    const first = asAllow(await env.gate.decide(proof(inv, tx.hash, { method: "POST" })));
    env.advance(60_000);
    const again = asAllow(await env.gate.decide(search({ headers: { "x-payment-proof": inv.id } })));
    const claims = async (d: AllowDecision) =>
      ((await env.tokens.verify(d.responseHeaders["x-payment-pass"]!, START_MS / 1000)) as { claims: unknown }).claims;
    expect(await claims(again)).toEqual(await claims(first));
    expect(again.method).toBe("pass");
    expect(env.chain.calls.getTx).toBe(1);
    env.revoked.add(inv.id);
    expect(asDeny(await env.gate.decide(proof(inv, tx.hash))).reason).toBe("PROOF_ALREADY_USED");
    const other = build();
    const inv2 = await offer(other, "pass");
    const tx2 = pay(other, inv2, 12);
    asAllow(await other.gate.decide(proof(inv2, tx2.hash)));
    other.advance(3600_000);
    expect(asDeny(await other.gate.decide(proof(inv2, tx2.hash))).reason).toBe("PROOF_ALREADY_USED");
  });

  it("a bearer JWT that is not a gate402 pass is left to the upstream API (402, header not stripped)", async () => {
    const env = build();
    const jwt = `${Buffer.from(JSON.stringify({ alg: "RS256", typ: "JWT" })).toString("base64url")}.e30.c2ln`;
    const d = asDeny(await env.gate.decide(search({ headers: { authorization: `Bearer ${jwt}` } })));
    expect(d.reason).toBe("PAYMENT_REQUIRED");
  });
});
