import { Writable } from "node:stream";
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import type { CheckHandler } from "../../../../src/app/check-handler.js";
import type { Decision } from "../../../../src/core/decision.js";
import type { RequestFacts } from "../../../../src/core/facts.js";
import { UPSTREAM_HEADERS } from "../../../../src/core/answers.js";
import { installErrorHandler } from "../../../../src/transport/http/errors.js";
import { forwardAuthRoutes } from "../../../../src/transport/forward-auth/routes.js";

const allow: Decision = {
  kind: "allow",
  decisionId: "d-1",
  method: "invoice",
  routeId: "default",
  priceMicro: 1000n,
  upstreamHeaders: { "x-gate402-decision-id": "d-1", "x-gate402-paid-by": "invoice", "x-gate402-tx-hash": "AB" },
  headersToRemove: ["x-payment-proof", "X-Payment-Proof"],
  responseHeaders: { "payment-response": "eyJ9" },
};
const deny: Decision = {
  kind: "deny",
  decisionId: "d-2",
  method: "none",
  routeId: "default",
  outcome: "payment_required",
  status: 402,
  reason: "PAYMENT_REQUIRED",
  headers: { "content-type": "application/json", "PAYMENT-REQUIRED": "eyJ4IjoxfQ==" },
  body: { error: "PAYMENT_REQUIRED", payment: { amountMicro: "1000" } },
};

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

/** The routes on a bare app with a stub decision core that records what it was asked. */
function build(answer: Decision | Error): { app: FastifyInstance; seen: RequestFacts[] } {
  const seen: RequestFacts[] = [];
  const check: CheckHandler = async (facts) => {
    seen.push(facts);
    if (answer instanceof Error) throw answer;
    return answer;
  };
  app = Fastify();
  installErrorHandler(app);
  forwardAuthRoutes(app, check);
  return { app, seen };
}

const forwarded = {
  "x-forwarded-method": "GET",
  "x-forwarded-uri": "/api/data",
  "x-forwarded-host": "api.example.com",
  "x-forwarded-proto": "https",
};

describe("forward-auth routes", () => {
  it("allow answers 200 with every x-gate402-* header (empty when n/a), the client headers and Envoy's removal list", async () => {
    const { app } = build(allow);
    const res = await app.inject({ method: "GET", url: "/auth/forward", headers: forwarded });
    expect(res.statusCode).toBe(200);
    for (const name of UPSTREAM_HEADERS) expect(res.headers[name]).toBeDefined();
    expect(res.headers).toMatchObject({
      "x-gate402-paid-by": "invoice",
      "x-gate402-payer": "",
      "x-gate402-client-id": "",
      "payment-response": "eyJ9",
      "x-envoy-auth-headers-to-remove": "x-payment-proof",
    });
    expect(res.body).toBe("");
  });

  it("deny answers the decision's status, headers and JSON body", async () => {
    const { app } = build(deny);
    const res = await app.inject({ method: "GET", url: "/auth/forward", headers: forwarded });
    expect(res.statusCode).toBe(402);
    expect(res.headers["content-type"]).toBe("application/json");
    expect(res.headers["payment-required"]).toBe("eyJ4IjoxfQ==");
    expect(res.json()).toEqual(deny.body);
  });

  it("an auth request without X-Forwarded-Method/-Uri is refused with 400 INVALID_REQUEST, and the core is not asked", async () => {
    const { app, seen } = build(allow);
    const res = await app.inject({ method: "GET", url: "/auth/forward", headers: { host: "x" } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toBe("INVALID_REQUEST");
    expect(seen).toHaveLength(0);
  });

  it("the 400 is a decision like every other answer: JSON content-type, and a log line with its decision id", async () => {
    const lines: Record<string, unknown>[] = [];
    const stream = new Writable({
      write(chunk, _enc, done) {
        lines.push(JSON.parse(String(chunk)));
        done();
      },
    });
    app = Fastify({ loggerInstance: pino({ level: "warn" }, stream) as unknown as FastifyBaseLogger });
    installErrorHandler(app);
    forwardAuthRoutes(app, async () => allow);
    const res = await app.inject({ method: "GET", url: "/auth/forward", headers: { host: "x", "x-forwarded-uri": "/api/data" } });
    expect(res.statusCode).toBe(400);
    expect(res.headers["content-type"]).toBe("application/json");
    expect(res.json()).toEqual({ error: "INVALID_REQUEST", message: expect.stringMatching(/X-Forwarded-Method/) });
    const logged = lines.find((l) => l["msg"] === "invalid auth request");
    expect(logged?.["decision_id"]).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("a failing core is a 500 JSON error, never a 2xx", async () => {
    const { app } = build(new Error("boom"));
    const res = await app.inject({ method: "GET", url: "/auth/forward", headers: forwarded });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ error: "INTERNAL", message: "Internal error" });
  });

  it.each(["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"])(
    "/ext-authz/* serves %s with the original method and path",
    async (method) => {
      const { app, seen } = build(allow);
      const res = await app.inject({
        method: method as "GET",
        url: "/ext-authz/api/v1/x?y=1",
        headers: { host: "api.example.com", "x-forwarded-proto": "https" },
      });
      expect(res.statusCode).toBe(200);
      expect(seen[0]).toMatchObject({
        transport: "http",
        method,
        path: "/api/v1/x",
        pathWithQuery: "/api/v1/x?y=1",
        host: "api.example.com",
        scheme: "https",
      });
    },
  );

  it("any body Envoy forwards is ignored: malformed JSON, unknown types and no content-type alike", async () => {
    const { app } = build(deny);
    for (const [type, payload] of [
      ["application/json", "{not json"],
      ["application/x-unknown", "\u0000\u0001"],
      [undefined, "raw"],
    ] as const) {
      const res = await app.inject({
        method: "POST",
        url: "/ext-authz/api/data",
        headers: { host: "h", ...(type ? { "content-type": type } : {}) },
        payload,
      });
      expect(res.statusCode).toBe(402);
    }
  });

  it("forward auth works with any method the proxy uses for the auth call", async () => {
    const { app, seen } = build(allow);
    for (const method of ["GET", "POST", "HEAD"] as const) {
      expect((await app.inject({ method, url: "/auth/forward", headers: { ...forwarded, "x-forwarded-method": "PUT" } })).statusCode).toBe(
        200,
      );
    }
    expect(seen.map((f) => f.method)).toEqual(["PUT", "PUT", "PUT"]);
  });
});
