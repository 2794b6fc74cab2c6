import Fastify, { type FastifyInstance } from "fastify";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/load.js";
import { InvoiceCodec } from "../../src/core/invoices.js";
import { createMetrics } from "../../src/observability/metrics.js";
import { installErrorHandler } from "../../src/transport/http/errors.js";
import { prepaidRoutes } from "../../src/transport/http/prepaid.js";
import { CHAIN_ID, DENOM, INVOICE_SECRET, PAY_TO } from "../unit/builders.js";
import { FakeChain, FakeStore } from "../unit/fakes.js";

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

const TOKEN = "signup-token-0123456789abcdef";

/** The prepaid routes under GATEWAY_PREPAID_SIGNUP settings, with a controllable clock. */
function build(env: Record<string, string>) {
  let now = Date.UTC(2026, 10, 30, 12, 0, 0);
  const config = loadConfig({ GATEWAY_PAYMENT_ADDRESS: PAY_TO, ...env }, "dev");
  const store = new FakeStore(() => now);
  app = Fastify();
  installErrorHandler(app);
  prepaidRoutes(app, {
    config,
    store,
    chain: new FakeChain(),
    codec: new InvoiceCodec(INVOICE_SECRET, PAY_TO, DENOM, CHAIN_ID),
    metrics: createMetrics(),
    log: pino({ level: "silent" }),
    version: "test",
    check: async () => {
      throw new Error("not used");
    },
    clock: () => now,
  });
  return { app, store, advance: (ms: number) => void (now += ms) };
}

const signUp = (a: FastifyInstance, headers: Record<string, string> = {}) =>
  a.inject({ method: "POST", url: "/prepaid/accounts", headers });

describe("GATEWAY_PREPAID_SIGNUP", () => {
  it("open: each client IP gets its burst, then 429 + Retry-After; another IP is unaffected; the bucket refills", async () => {
    const { app, store, advance } = build({
      GATEWAY_PREPAID_SIGNUP: "open",
      GATEWAY_PREPAID_SIGNUP_BURST: "3",
      GATEWAY_PREPAID_SIGNUP_PER_HOUR: "60",
    });
    const from = (ip: string) => ({ "x-forwarded-for": `203.0.113.9, ${ip}` });
    for (let i = 0; i < 3; i++) expect((await signUp(app, from("198.51.100.1"))).statusCode).toBe(201);
    const limited = await signUp(app, from("198.51.100.1"));
    expect(limited.statusCode).toBe(429);
    expect(limited.json().error).toBe("RATE_LIMITED");
    expect(Number(limited.headers["retry-after"])).toBe(60);
    expect((await signUp(app, from("198.51.100.2"))).statusCode).toBe(201);
    advance(60_000);
    expect((await signUp(app, from("198.51.100.1"))).statusCode).toBe(201);
    expect(store.accounts.size).toBe(5);
  });

  it("open: 150 sign-ups from one address create only the burst", async () => {
    const { app, store } = build({ GATEWAY_PREPAID_SIGNUP: "open" });
    const codes = [];
    for (let i = 0; i < 150; i++) codes.push((await signUp(app)).statusCode);
    expect(codes.filter((c) => c === 201)).toHaveLength(5);
    expect(codes.filter((c) => c === 429)).toHaveLength(145);
    expect(store.accounts.size).toBe(5);
  });

  it("token: only the configured bearer token signs up", async () => {
    const { app, store } = build({ GATEWAY_PREPAID_SIGNUP: "token", GATEWAY_PREPAID_SIGNUP_TOKEN: TOKEN });
    expect((await signUp(app)).statusCode).toBe(401);
    expect((await signUp(app, { authorization: `Bearer ${TOKEN}x` })).json().error).toBe("INVALID_SIGNUP_TOKEN");
    expect((await signUp(app, { authorization: `Bearer ${TOKEN}` })).statusCode).toBe(201);
    expect(store.accounts.size).toBe(1);
  });

  it("token mode without a token is a configuration error", () => {
    expect(() => loadConfig({ GATEWAY_PAYMENT_ADDRESS: PAY_TO, GATEWAY_PREPAID_SIGNUP: "token" }, "dev")).toThrow(
      /GATEWAY_PREPAID_SIGNUP_TOKEN/,
    );
  });

  it("closed: 403 SIGNUP_CLOSED, nothing created", async () => {
    const { app, store } = build({ GATEWAY_PREPAID_SIGNUP: "closed" });
    const res = await signUp(app, { authorization: `Bearer ${TOKEN}` });
    expect(res.statusCode).toBe(403);
    expect(res.json().error).toBe("SIGNUP_CLOSED");
    expect(store.accounts.size).toBe(0);
  });
});
