import { afterEach, describe, expect, it } from "vitest";
import { createPaidFetch, memoryStore, PaymentRejectedError, PolicyViolationError, type SpendingPolicy } from "../../src/client/index.js";
import {
  address,
  b64,
  fakeServer,
  gate402Answer,
  invoiceId,
  payOnce,
  spyPayer,
  v2Offer,
  type FakeServer,
  type Handler,
} from "./helpers.js";

let server: FakeServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const trusted = address();
const policy = (o: Partial<SpendingPolicy> = {}): SpendingPolicy => ({
  maxPerRequest: "0.010",
  allowedPayTo: [trusted],
  allowedHosts: ["127.0.0.1"],
  ...o,
});

/** Serves `handler`, calls paidFetch once, returns the error and the spy payer. */
async function refusal(handler: Handler, p: SpendingPolicy = policy(), init?: RequestInit) {
  server = await fakeServer(handler);
  const payer = spyPayer();
  const paidFetch = createPaidFetch({ payer, policy: p, store: memoryStore() });
  const err = await paidFetch(`${server.url}/api/data`, init).then(
    () => undefined,
    (e: unknown) => e,
  );
  return { err, payer };
}

async function expectRefused(handler: Handler, code: string, p?: SpendingPolicy) {
  const { err, payer } = await refusal(handler, p);
  expect(err).toBeInstanceOf(PolicyViolationError);
  expect((err as PolicyViolationError).code).toBe(code);
  expect(payer.calls).toHaveLength(0);
  return err as PolicyViolationError;
}

const raw402 =
  (headers: Record<string, string>, body: string): Handler =>
  (_req, res) => {
    res.writeHead(402, { "content-type": "application/json", ...headers });
    res.end(body);
  };

describe("a hostile 402 is refused before any payment", () => {
  it("a payTo outside allowedPayTo is refused with PAYTO_NOT_ALLOWED", async () => {
    await expectRefused(payOnce(gate402Answer(v2Offer({ payTo: address() }))), "PAYTO_NOT_ALLOWED");
  });

  it("an amount above maxPerRequest is refused with PER_REQUEST_CAP", async () => {
    await expectRefused(payOnce(gate402Answer(v2Offer({ payTo: trusted, amount: "10000001" }))), "PER_REQUEST_CAP");
  });

  it("an offer only on an unknown network is refused with NETWORK_NOT_ALLOWED", async () => {
    await expectRefused(payOnce(gate402Answer(v2Offer({ payTo: trusted, network: "eip155:8453" }))), "NETWORK_NOT_ALLOWED");
  });

  it("an offer in another denom is refused with DENOM_NOT_ALLOWED", async () => {
    await expectRefused(
      payOnce(gate402Answer(v2Offer({ payTo: trusted, asset: "ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2" }))),
      "DENOM_NOT_ALLOWED",
    );
  });

  it("a host outside allowedHosts is refused with HOST_NOT_ALLOWED", async () => {
    await expectRefused(
      payOnce(gate402Answer(v2Offer({ payTo: trusted }))),
      "HOST_NOT_ALLOWED",
      policy({ allowedHosts: ["api.example.com", "*.example.com"] }),
    );
  });

  it.each([
    ["not base64", "!!!not-base64!!!"],
    ["base64 of something that is not JSON", b64("hello")],
    ["JSON that is not a PaymentRequired", b64({ x402Version: 2, accepts: [] })],
    ["an x402 v1 document in the v2 header", b64({ x402Version: 1, accepts: [v2Offer()] })],
    ["longer than 8 KiB", "A".repeat(10_000)],
  ])("a malformed PAYMENT-REQUIRED header (%s) is refused with MALFORMED_INVOICE, even with a good body", async (_what, header) => {
    const good = gate402Answer(v2Offer({ payTo: trusted }));
    await expectRefused(raw402({ "payment-required": header }, JSON.stringify(good.body)), "MALFORMED_INVOICE");
  });

  it.each([
    ["an exponent amount", { amount: "1e3" }],
    ["a negative amount", { amount: "-1000" }],
    ["a decimal amount", { amount: "0.001" }],
    ["a zero amount", { amount: "0" }],
    ["a numeric amount", { amount: 1000 }],
    ["an invoice id with spaces", { extra: { invoiceId: "an invoice with spaces", memo: "x" } }],
    ["an invoice id longer than 255", { extra: { invoiceId: "A".repeat(256) } }],
    ["a memo with a newline", { extra: { invoiceId: invoiceId(), memo: `${invoiceId()}\n--yes` } }],
    ["no invoice id", { extra: {} }],
    ["a payTo with a bad checksum", { payTo: `${trusted.slice(0, -1)}${trusted.endsWith("q") ? "p" : "q"}` }],
    ["a payTo with another prefix", { payTo: "cosmos1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc5lzv7xu" }],
  ])("a header offer with %s is refused with MALFORMED_INVOICE", async (_what, override) => {
    await expectRefused(payOnce(gate402Answer(v2Offer({ payTo: trusted, ...override }))), "MALFORMED_INVOICE");
  });

  it("a body-only x402 v1 offer with a malformed amount is refused with MALFORMED_INVOICE", async () => {
    const { body } = gate402Answer(v2Offer({ payTo: trusted }));
    const accepts = (body["accepts"] as Record<string, unknown>[]).map((a) => ({ ...a, maxAmountRequired: "1000.5" }));
    await expectRefused(raw402({}, JSON.stringify({ ...body, accepts })), "MALFORMED_INVOICE");
  });

  it("a ClawPurse body whose amount and amountMicro disagree is refused with MALFORMED_INVOICE", async () => {
    const id = invoiceId();
    const body = {
      error: "PAYMENT_REQUIRED",
      payment: {
        invoiceId: id,
        memo: id,
        amount: "0.001000",
        amountMicro: "9000000",
        denom: "uneutaro",
        address: trusted,
        network: "cosmos:Neutaro-1",
      },
    };
    await expectRefused(raw402({}, JSON.stringify(body)), "MALFORMED_INVOICE");
  });

  it.each([
    ["not JSON", "<html>pay me</html>"],
    ["JSON without any invoice", JSON.stringify({ error: "PAYMENT_REQUIRED" })],
    ["larger than 64 KiB", JSON.stringify({ pad: "x".repeat(70_000) })],
  ])("a 402 body that is %s is refused with MALFORMED_INVOICE", async (_what, body) => {
    await expectRefused(raw402({}, body), "MALFORMED_INVOICE");
  });

  it("a prepaid deposit URL on another origin is refused with MALFORMED_INVOICE", async () => {
    const answer = gate402Answer(v2Offer({ payTo: trusted }));
    const body = {
      ...answer.body,
      error: "INSUFFICIENT_BALANCE",
      prepaid: { depositMemo: "gate402-deposit-abcdefghijklmnop", depositAddress: trusted, depositUrl: "https://evil.example/steal" },
    };
    server = await fakeServer(raw402(answer.headers, JSON.stringify(body)));
    const payer = spyPayer();
    const paidFetch = createPaidFetch({ payer, policy: policy(), store: memoryStore(), prepaid: { clientId: "c1", key: "k" } });
    const err = await paidFetch(`${server.url}/api/data`).catch((e: unknown) => e);
    expect((err as PolicyViolationError).code).toBe("MALFORMED_INVOICE");
    expect(payer.calls).toHaveLength(0);
  });
});

describe("paying a well-formed 402", () => {
  it("the v2 header wins: pays its payTo, amount and memo, then retries once with PAYMENT-SIGNATURE {txHash, invoiceId}", async () => {
    const offer = v2Offer({ payTo: trusted, amount: "2500" });
    server = await fakeServer(payOnce(gate402Answer(offer)));
    const payer = spyPayer();
    const paidFetch = createPaidFetch({ payer, policy: policy(), store: memoryStore() });
    const res = await paidFetch(`${server.url}/api/data`, {
      method: "POST",
      body: JSON.stringify({ q: "x" }),
      headers: { "content-type": "application/json" },
    });
    expect(res.status).toBe(200);
    const extra = offer["extra"] as { invoiceId: string };
    expect(payer.calls).toEqual([
      { payTo: trusted, amountMicro: 2500n, denom: "uneutaro", memo: extra.invoiceId, network: "cosmos:Neutaro-1" },
    ]);
    const [receipt] = await paidFetch.exportReceipts();
    expect(server.requests).toHaveLength(2);
    const sent = JSON.parse(Buffer.from(String(server.requests[1]!.headers["payment-signature"]), "base64").toString("utf8"));
    expect(sent).toMatchObject({
      x402Version: 2,
      accepted: { scheme: "exact", network: "cosmos:Neutaro-1", amount: "2500", payTo: trusted },
      payload: { txHash: receipt!.txHash, invoiceId: extra.invoiceId },
    });
    expect(server.requests[1]!.headers["x-payment-proof"]).toBeUndefined();
    expect(server.requests.map((r) => r.body)).toEqual(['{"q":"x"}', '{"q":"x"}']);
    expect(receipt).toMatchObject({
      kind: "invoice",
      invoiceId: extra.invoiceId,
      amountMicro: "2500",
      amount: "0.002500",
      payTo: trusted,
      method: "POST",
      url: `${server.url}/api/data`,
      status: "redeemed",
    });
  });

  it("a second 402 after paying throws PaymentRejectedError with the invoice and tx hash, and never pays twice", async () => {
    const answer = gate402Answer(v2Offer({ payTo: trusted }));
    server = await fakeServer((_req, res) => {
      res.writeHead(402, answer.headers);
      res.end(JSON.stringify({ ...answer.body, error: "PAYMENT_NOT_FOUND" }));
    });
    const payer = spyPayer();
    const paidFetch = createPaidFetch({ payer, policy: policy(), store: memoryStore() });
    const err = await paidFetch(`${server.url}/api/data`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PaymentRejectedError);
    const [receipt] = await paidFetch.exportReceipts();
    expect(err).toMatchObject({
      txHash: receipt!.txHash,
      serverCode: "PAYMENT_NOT_FOUND",
      invoice: { payTo: trusted, amountMicro: 1000n },
    });
    expect(receipt!.status).toBe("refused");
    expect(payer.calls).toHaveLength(1);
    expect(server.requests).toHaveLength(2);
  });

  it("a body-only ClawPurse 402 (no header, no accepts) is paid from payment.amountMicro", async () => {
    const id = invoiceId();
    const body = {
      error: "PAYMENT_REQUIRED",
      payment: {
        invoiceId: id,
        memo: id,
        amount: "0.001000",
        amountMicro: "1000",
        denom: "uneutaro",
        address: trusted,
        network: "cosmos:Neutaro-1",
      },
    };
    server = await fakeServer(payOnce({ headers: { "content-type": "application/json" }, body }));
    const payer = spyPayer();
    const res = await createPaidFetch({ payer, policy: policy(), store: memoryStore() })(`${server.url}/x`);
    expect(res.status).toBe(200);
    expect(payer.calls[0]).toMatchObject({ amountMicro: 1000n, memo: id, payTo: trusted });
  });

  it("a non-402 answer passes through untouched and nothing is paid", async () => {
    server = await fakeServer((_req, res) => {
      res.writeHead(404, { "x-test": "1" });
      res.end("nope");
    });
    const payer = spyPayer();
    const res = await createPaidFetch({ payer, policy: policy(), store: memoryStore() })(`${server.url}/x`);
    expect([res.status, res.headers.get("x-test"), await res.text()]).toEqual([404, "1", "nope"]);
    expect(payer.calls).toHaveLength(0);
  });
});
