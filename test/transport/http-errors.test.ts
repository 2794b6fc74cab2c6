/**
 * The HTTP API answers only codes of the error catalogue (src/core/catalogue.ts API_ERRORS), each with
 * its catalogue status; /invoices/:id and /prepaid/deposit no longer borrow codes with another status.
 */
import type { FastifyInstance } from "fastify";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { API_ERRORS, type ApiErrorEntry } from "../../src/core/catalogue.js";
import { InvoiceCodec } from "../../src/core/invoices.js";
import { createMetrics } from "../../src/observability/metrics.js";
import { buildHttpApp } from "../../src/transport/http/app.js";
import { CHAIN_ID, DENOM, INVOICE_SECRET, PAY_TO, paymentTx, txHash } from "../unit/builders.js";
import { FakeChain, FakeStore } from "../unit/fakes.js";

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

const NOW = Date.UTC(2026, 10, 30, 12, 0, 0);

function build() {
  const config = loadConfig({ GATEWAY_PAYMENT_ADDRESS: PAY_TO }, "dev");
  const store = new FakeStore(() => NOW);
  const chain = new FakeChain();
  const codec = new InvoiceCodec(INVOICE_SECRET, PAY_TO, DENOM, CHAIN_ID);
  app = buildHttpApp({
    config,
    store,
    chain,
    codec,
    metrics: createMetrics(),
    log: pino({ level: "silent" }),
    version: "test",
    check: async () => {
      throw new Error("not used");
    },
    clock: () => NOW,
  });
  const invoice = codec.issue({
    amountMicro: 1000n,
    method: "GET",
    routeId: "data",
    expiresAt: NOW / 1000 + 300,
    issueHeight: 1,
    nonce: "n1",
    uses: 1,
  });
  return { app, store, chain, invoice };
}

/** The answer's code is in the catalogue and its status is one the catalogue gives that code. */
function expectCatalogued(res: { statusCode: number; json(): any }, code: keyof typeof API_ERRORS): void {
  const body = res.json();
  expect(body).toEqual({ error: code, message: expect.any(String) });
  const entry: ApiErrorEntry = API_ERRORS[code];
  expect([entry.status, ...(entry.also ?? [])]).toContain(res.statusCode);
}

const deposit = (a: FastifyInstance, clientId: string, hash: string) =>
  a.inject({ method: "POST", url: "/prepaid/deposit", payload: { clientId, txHash: hash } });

describe("HTTP API errors come from the catalogue", () => {
  it("GET /invoices/:id of an id this gateway did not issue is 404 INVOICE_NOT_FOUND (was INVALID_PROOF)", async () => {
    const { app, invoice } = build();
    expect((await app.inject({ url: `/invoices/${invoice.id}` })).statusCode).toBe(200);
    const last = invoice.id.at(-1) === "A" ? "B" : "A";
    for (const id of [`${invoice.id.slice(0, -1)}${last}`, "not-an-invoice"]) {
      const res = await app.inject({ url: `/invoices/${id}` });
      expect(res.statusCode).toBe(404);
      expectCatalogued(res, "INVOICE_NOT_FOUND");
    }
  });

  it("GET /invoices/:id takes ids up to the 255-byte memo limit (fastify's default param limit is 100: 414)", async () => {
    const { app } = build();
    const res = await app.inject({ url: `/invoices/${"A".repeat(200)}.${"B".repeat(22)}` });
    expect(res.statusCode).toBe(404);
    expectCatalogued(res, "INVOICE_NOT_FOUND");
  });

  it("POST /prepaid/deposit for an unknown account is 401 INVALID_CLIENT_CREDENTIALS, the catalogue's status (was 404)", async () => {
    const { app } = build();
    const res = await deposit(app, "c_nobody", txHash(1));
    expect(res.statusCode).toBe(401);
    expectCatalogued(res, "INVALID_CLIENT_CREDENTIALS");
  });

  it("deposit refusals keep their statuses: not on chain 404, failed on chain 422, wrong memo 422", async () => {
    const { app, chain } = build();
    const created = (await app.inject({ method: "POST", url: "/prepaid/accounts" })).json();
    const notFound = await deposit(app, created.clientId, txHash(2));
    expect(notFound.statusCode).toBe(404);
    expectCatalogued(notFound, "PAYMENT_NOT_FOUND");
    const failed = chain.include(paymentTx(created.depositMemo, 5_000n, { hash: txHash(3), code: 5 }));
    const refused = await deposit(app, created.clientId, failed.hash);
    expect(refused.statusCode).toBe(422);
    expectCatalogued(refused, "PAYMENT_NOT_FOUND");
    const other = chain.include(paymentTx("someone-else", 5_000n, { hash: txHash(4) }));
    const wrongMemo = await deposit(app, created.clientId, other.hash);
    expect(wrongMemo.statusCode).toBe(422);
    expectCatalogued(wrongMemo, "WRONG_RESOURCE");
  });

  it("the app's own errors: no route 404, bad JSON 400, body too large 413, unsupported type 415, outage 503, all catalogued", async () => {
    const { app, chain, store } = build();
    expectCatalogued(await app.inject({ url: "/nope" }), "NOT_FOUND");
    const badJson = await app.inject({
      method: "POST",
      url: "/prepaid/deposit",
      headers: { "content-type": "application/json" },
      payload: "{not json",
    });
    expect(badJson.statusCode).toBe(400);
    expectCatalogued(badJson, "INVALID_REQUEST");
    const big = await app.inject({
      method: "POST",
      url: "/prepaid/deposit",
      headers: { "content-type": "application/json" },
      payload: `"${"x".repeat(70_000)}"`,
    });
    expect(big.statusCode).toBe(413);
    expectCatalogued(big, "INVALID_REQUEST");
    const odd = await app.inject({
      method: "POST",
      url: "/prepaid/deposit",
      headers: { "content-type": "application/x-odd" },
      payload: "x",
    });
    expect(odd.statusCode).toBe(415);
    expectCatalogued(odd, "INVALID_REQUEST");
    const created = (await app.inject({ method: "POST", url: "/prepaid/accounts" })).json();
    chain.down = true;
    const chainDown = await deposit(app, created.clientId, txHash(5));
    expect(chainDown.statusCode).toBe(503);
    expectCatalogued(chainDown, "CHAIN_UNAVAILABLE");
    store.down = true;
    expectCatalogued(await deposit(app, created.clientId, txHash(6)), "STORE_UNAVAILABLE");
  });

  it("every catalogue entry's statuses are client or server errors, and `also` never repeats the status", () => {
    for (const [code, e] of Object.entries(API_ERRORS) as [string, ApiErrorEntry][]) {
      for (const s of [e.status, ...(e.also ?? [])]) expect(s >= 400 && s < 600, code).toBe(true);
      expect(e.also ?? [], code).not.toContain(e.status);
    }
  });
});
