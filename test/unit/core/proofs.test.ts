import { describe, expect, it } from "vitest";
import { parseProof } from "../../../src/core/proofs.js";
import { InvoiceCodec } from "../../../src/core/invoices.js";
import { CHAIN_ID, DENOM, INVOICE_SECRET, NETWORK, PAY_TO } from "../builders.js";

const codec = new InvoiceCodec(INVOICE_SECRET, PAY_TO, DENOM, CHAIN_ID);
const INVOICE_ID = codec.issue({
  amountMicro: 1_000n,
  method: "GET",
  routeId: "GET /api/*",
  expiresAt: 1_795_435_500,
  issueHeight: 1_204_330,
  nonce: "Yq3x9LkP0aZ7",
  uses: 1,
}).id;
const TX = "3f7a9c1e5b2d4f6a8c0e1b3d5f7a9c1e5b2d4f6a8c0e1b3d5f7a9c1e5b2d4f6a";
const TX_UPPER = TX.toUpperCase();

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64");
const v2 = (over: Record<string, unknown> = {}) => ({
  x402Version: 2,
  resource: { url: "https://api.example.com/api/data" },
  accepted: { scheme: "exact", network: NETWORK, amount: "1000", asset: DENOM, payTo: PAY_TO },
  payload: { txHash: TX, invoiceId: INVOICE_ID },
  ...over,
});
const v1 = (over: Record<string, unknown> = {}) => ({
  x402Version: 1,
  scheme: "exact",
  network: NETWORK,
  payload: { txHash: TX, invoiceId: INVOICE_ID },
  ...over,
});

describe("parseProof: X-Payment-Proof", () => {
  it("no proof header is none", () => {
    expect(parseProof({ accept: "application/json" }, NETWORK)).toEqual({ kind: "none" });
  });

  it("a bare invoice id is an invoice-only proof", () => {
    expect(parseProof({ "x-payment-proof": INVOICE_ID }, NETWORK)).toEqual({
      kind: "proof",
      proof: { header: "x-payment-proof", invoiceId: INVOICE_ID, txHash: undefined },
    });
  });

  it("a bare tx hash is a hash-only proof, uppercased", () => {
    expect(parseProof({ "x-payment-proof": TX }, NETWORK)).toEqual({
      kind: "proof",
      proof: { header: "x-payment-proof", txHash: TX_UPPER },
    });
  });

  it("<invoiceId>:<txHash> carries both, hash uppercased", () => {
    expect(parseProof({ "x-payment-proof": ` ${INVOICE_ID}:${TX} ` }, NETWORK)).toEqual({
      kind: "proof",
      proof: { header: "x-payment-proof", invoiceId: INVOICE_ID, txHash: TX_UPPER },
    });
  });

  it.each([
    ["empty", ""],
    ["too short", "abc"],
    ["spaces inside", "not an invoice id at all"],
    ["63-char hash after the id", `${INVOICE_ID}:${TX.slice(1)}`],
    ["non-hex hash after the id", `${INVOICE_ID}:${"g".repeat(64)}`],
    ["empty hash after the id", `${INVOICE_ID}:`],
    ["empty id before the hash", `:${TX}`],
  ])("a malformed X-Payment-Proof (%s) is invalid with a message", (_what, value) => {
    const r = parseProof({ "x-payment-proof": value }, NETWORK);
    expect(r).toMatchObject({ kind: "invalid", header: "x-payment-proof" });
    expect((r as { message: string }).message).toMatch(/X-Payment-Proof/);
  });

  it("a header over 8192 bytes is invalid", () => {
    const r = parseProof({ "x-payment-proof": "A".repeat(8193) }, NETWORK);
    expect(r).toMatchObject({ kind: "invalid", header: "x-payment-proof" });
    expect((r as { message: string }).message).toMatch(/8192/);
  });

  it.each([
    ["x-payment-proof", `${INVOICE_ID}é`],
    ["payment-signature", `${b64(v2())}\u0000`],
    ["x-payment", "ｂａｓｅ64"],
  ])("a non-ASCII %s header is invalid", (header, value) => {
    expect(parseProof({ [header]: value }, NETWORK)).toMatchObject({ kind: "invalid", header, message: expect.stringMatching(/ASCII/) });
  });
});

describe("parseProof: x402 headers", () => {
  it("PAYMENT-SIGNATURE (x402 v2) gives tx hash (uppercased) and invoice id", () => {
    expect(parseProof({ "payment-signature": b64(v2()) }, NETWORK)).toEqual({
      kind: "proof",
      proof: { header: "payment-signature", txHash: TX_UPPER, invoiceId: INVOICE_ID },
    });
  });

  it("X-PAYMENT (x402 v1) gives tx hash and invoice id", () => {
    expect(parseProof({ "x-payment": b64(v1()) }, NETWORK)).toEqual({
      kind: "proof",
      proof: { header: "x-payment", txHash: TX_UPPER, invoiceId: INVOICE_ID },
    });
  });

  it("base64url encoding is accepted too", () => {
    const url = Buffer.from(JSON.stringify(v1())).toString("base64url");
    expect(parseProof({ "x-payment": url }, NETWORK)).toMatchObject({ kind: "proof" });
  });

  it("the invoice id is optional in an x402 payload", () => {
    expect(parseProof({ "x-payment": b64(v1({ payload: { txHash: TX } })) }, NETWORK)).toEqual({
      kind: "proof",
      proof: { header: "x-payment", txHash: TX_UPPER, invoiceId: undefined },
    });
  });

  const cases: [string, string, string, RegExp][] = [
    ["invalid base64", "payment-signature", "%%%not base64%%%", /base64-encoded JSON/],
    ["invalid JSON", "payment-signature", Buffer.from("{x402Version:2").toString("base64"), /base64-encoded JSON/],
    ["v1 payload in PAYMENT-SIGNATURE", "payment-signature", b64(v1()), /x402 v2/],
    ["v2 payload in X-PAYMENT", "x-payment", b64(v2()), /x402 v1/],
    ["wrong scheme (v2)", "payment-signature", b64(v2({ accepted: { scheme: "upto", network: NETWORK } })), /scheme "upto"/],
    ["wrong scheme (v1)", "x-payment", b64(v1({ scheme: "exact-evm" })), /scheme "exact-evm"/],
    [
      "wrong network (v2)",
      "payment-signature",
      b64(v2({ accepted: { scheme: "exact", network: "eip155:8453" } })),
      /network "eip155:8453"/,
    ],
    ["wrong network (v1)", "x-payment", b64(v1({ network: "cosmos:cosmoshub-4" })), /network "cosmos:cosmoshub-4"/],
    ["EVM signature payload", "x-payment", b64(v1({ payload: { signature: "0xabc", authorization: {} } })), /payload\.txHash/],
    ["short tx hash", "payment-signature", b64(v2({ payload: { txHash: "ABCDEF" } })), /64 hex/],
    ["malformed invoice id", "payment-signature", b64(v2({ payload: { txHash: TX, invoiceId: "has spaces in it!!" } })), /invoiceId/],
    ["JSON array", "x-payment", b64([1, 2, 3]), /x402 v1/],
  ];
  it.each(cases)("%s is invalid with a message", (_what, header, value, message) => {
    const r = parseProof({ [header]: value }, NETWORK);
    expect(r).toMatchObject({ kind: "invalid", header });
    expect((r as { message: string }).message).toMatch(message);
  });

  it("the first proof header present wins: X-Payment-Proof, then PAYMENT-SIGNATURE, then X-PAYMENT", () => {
    const all = { "x-payment-proof": INVOICE_ID, "payment-signature": b64(v2()), "x-payment": b64(v1()) };
    expect(parseProof(all, NETWORK)).toMatchObject({ kind: "proof", proof: { header: "x-payment-proof" } });
    const { "x-payment-proof": _a, ...twoLeft } = all;
    expect(parseProof(twoLeft, NETWORK)).toMatchObject({ kind: "proof", proof: { header: "payment-signature" } });
    expect(parseProof({ "x-payment": all["x-payment"] }, NETWORK)).toMatchObject({ kind: "proof", proof: { header: "x-payment" } });
  });

  it("an invalid higher-precedence header is not masked by a valid lower one", () => {
    expect(parseProof({ "payment-signature": "garbage!", "x-payment": b64(v1()) }, NETWORK)).toMatchObject({
      kind: "invalid",
      header: "payment-signature",
    });
  });
});
