import { toBech32 } from "@cosmjs/encoding";
import { describe, expect, it } from "vitest";
import { readInvoice } from "../../src/client/invoice.js";
import { pickOffer, readOffers } from "../../src/client/offers.js";
import { compilePolicy } from "../../src/client/policy.js";
import { offerFacts } from "../../src/client/wallet.js";

const PAY_TO = toBech32("neutaro", new Uint8Array(20).fill(7));
const ID = (n: number) => `invoice-${String(n).padStart(12, "0")}`;
const entry = (amount: string, extra: Record<string, unknown>, over: Record<string, unknown> = {}) => ({
  scheme: "exact",
  network: "cosmos:Neutaro-1",
  amount,
  asset: "uneutaro",
  payTo: PAY_TO,
  maxTimeoutSeconds: 300,
  extra,
  ...over,
});
const header = (accepts: unknown[]) =>
  Buffer.from(JSON.stringify({ x402Version: 2, error: "Payment required", resource: { url: "https://a/x" }, accepts })).toString("base64");
const policy = compilePolicy({ maxPerRequest: "0.1" });

const accepts = [
  entry("1000", { invoiceId: ID(1), memo: ID(1) }),
  entry("4000", { invoiceId: ID(2), memo: ID(2), offer: "bundle", uses: 5 }),
  entry("30000", { invoiceId: ID(3), memo: ID(3), offer: "bundle", uses: 100 }),
  entry("200000", { invoiceId: ID(4), memo: ID(4), offer: "bundle", uses: 1000 }),
  entry("50000", { invoiceId: ID(5), memo: ID(5), offer: "pass", pass: { scope: "api", seconds: 3600 } }),
  entry("90000", { invoiceId: ID(6), memo: ID(6), offer: "pass", pass: { scope: "api", seconds: 86400 } }),
];

describe("choosing among offers", () => {
  it("bundle: the lowest price per request within maxPerRequest; pass: the lowest price per second", () => {
    const h = header(accepts);
    const single = readInvoice(h, undefined, policy.acceptance);
    const offers = readOffers(h, undefined, policy.acceptance);
    expect(offers.map((o) => [o.kind, o.invoiceId])).toEqual([
      ["bundle", ID(2)],
      ["bundle", ID(3)],
      ["bundle", ID(4)],
      ["pass", ID(5)],
      ["pass", ID(6)],
    ]);
    // 1000 for 0.2 NTMPI is cheapest per request but above maxPerRequest 0.1: the cap is on the amount paid.
    expect(pickOffer(single, offers, "bundle", policy.maxPerRequestMicro)).toMatchObject({
      kind: "bundle",
      invoiceId: ID(3),
      uses: 100,
      amountMicro: 30_000n,
    });
    expect(pickOffer(single, offers, "bundle", 1_000_000n)).toMatchObject({ invoiceId: ID(4) });
    expect(pickOffer(single, offers, "pass", policy.maxPerRequestMicro)).toMatchObject({
      kind: "pass",
      invoiceId: ID(6),
      scope: "api",
      seconds: 86400,
    });
    expect(pickOffer(single, offers, "pass", 60_000n)).toMatchObject({ invoiceId: ID(5) });
    expect(pickOffer(single, offers, "single", 1_000_000n)).toMatchObject({ kind: "single", invoiceId: ID(1), uses: 1 });
    expect(pickOffer(single, offers, "pass", 10_000n)).toMatchObject({ kind: "single", invoiceId: ID(1) });
  });

  it("malformed or foreign offers are skipped, never chosen", () => {
    const hostile = [
      accepts[0],
      entry("4000", { invoiceId: ID(7), memo: ID(7), offer: "bundle", uses: 1e9 }),
      entry("1", { invoiceId: ID(8), memo: ID(8), offer: "bundle", uses: 5 }, { payTo: toBech32("cosmos", new Uint8Array(20).fill(7)) }),
      entry("1", { invoiceId: ID(9), memo: ID(9), offer: "bundle", uses: 5 }, { network: "eip155:1" }),
      entry("-5", { invoiceId: ID(10), memo: ID(10), offer: "bundle", uses: 5 }),
      entry("2", { invoiceId: "x", offer: "pass", pass: { scope: "api", seconds: 60 } }),
      entry("2", { invoiceId: ID(11), memo: ID(11), offer: "pass", pass: { scope: "bad scope!", seconds: 60 } }),
      "not an object",
    ];
    const h = header(hostile);
    expect(readOffers(h, undefined, policy.acceptance)).toEqual([]);
    const single = readInvoice(h, undefined, policy.acceptance);
    expect(pickOffer(single, [], "bundle", policy.maxPerRequestMicro).invoiceId).toBe(ID(1));
  });

  it("reads the x402 v1 body when there is no v2 header", () => {
    const body = { x402Version: 1, accepts: accepts.map(({ amount, ...rest }) => ({ ...rest, maxAmountRequired: amount })) };
    expect(readOffers(null, body, policy.acceptance).map((o) => o.amountMicro)).toEqual([4000n, 30000n, 200000n, 50000n, 90000n]);
  });
});

describe("what an allow says about a bundle or pass", () => {
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64");
  it("reads X-Payment-Uses-Left / X-Payment-Pass, else the PAYMENT-RESPONSE extras (proxies that forward only that)", () => {
    expect(offerFacts(new Response(null, { headers: { "x-payment-uses-left": "3", "x-payment-pass": "a.b.c" } }))).toEqual({
      usesLeft: 3,
      token: "a.b.c",
    });
    expect(offerFacts(new Response(null, { headers: { "payment-response": b64({ success: true, usesLeft: 2, pass: "d.e.f" }) } }))).toEqual(
      { usesLeft: 2, token: "d.e.f" },
    );
    expect(offerFacts(new Response(null, { headers: { "payment-response": b64({ usesLeft: -1, pass: 7 }) } }))).toEqual({});
    expect(offerFacts(new Response(null, { headers: { "payment-response": "%%%", "x-payment-uses-left": "1e3" } }))).toEqual({});
  });
});
