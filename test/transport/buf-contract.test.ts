import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Decision } from "../../src/core/decision.js";
import type { RequestFacts } from "../../src/core/facts.js";
import { createExtAuthzServer, type ExtAuthzServer } from "../../src/transport/envoy/server.js";
import { BufCurlError, bufCheck, bufHealth } from "../support/buf.js";
import { loadEnvoyFixture } from "../support/envoy-fixtures.js";

const PAY_TO = "neutaro1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc5lzv7xu";
const PAYMENT_REQUIRED_HEADER = Buffer.from(JSON.stringify({ x402Version: 2, error: "PAYMENT_REQUIRED" })).toString("base64");
const PAYMENT_RESPONSE = Buffer.from(JSON.stringify({ success: true, transaction: "AB".repeat(32) })).toString("base64");

/** A 402 body shaped as docs/design.md "The 402 response". */
const invoiceBody = {
  error: "PAYMENT_REQUIRED",
  message: "Payment of 0.001000 NTMPI required for GET /api/data",
  payment: {
    invoiceId: "inv_1",
    memo: "inv_1",
    amount: "0.001000",
    amountMicro: "1000",
    currency: "NTMPI",
    denom: "uneutaro",
    address: PAY_TO,
    network: "cosmos:Neutaro-1",
    expiresAt: "2026-11-21T12:05:00Z",
    verifyUrl: "/invoices/inv_1",
    clawpurse: `clawpurse send ${PAY_TO} 0.001000 --memo inv_1 --yes`,
  },
  prepaid: { accountsUrl: "/prepaid/accounts", depositUrl: "/prepaid/deposit", balanceUrl: "/prepaid/balance/{clientId}" },
  x402Version: 1,
  accepts: [
    {
      scheme: "exact",
      network: "cosmos:Neutaro-1",
      maxAmountRequired: "1000",
      asset: "uneutaro",
      payTo: PAY_TO,
      resource: "http://api.example.com/api/data",
      description: "data",
      mimeType: "application/json",
      maxTimeoutSeconds: 300,
      extra: { invoiceId: "inv_1", memo: "inv_1", decimals: 6 },
    },
  ],
};

/** Stub core: proof header → allow; "/boom" → throws; otherwise 402. */
async function check(facts: RequestFacts): Promise<Decision> {
  if (facts.path === "/boom") throw new Error("unexpected bug");
  if (facts.headers["x-payment-proof"]) {
    return {
      kind: "allow",
      decisionId: "allow-1",
      method: "invoice",
      routeId: "data",
      priceMicro: 1000n,
      upstreamHeaders: { "x-gate402-paid": "1000" },
      headersToRemove: ["x-payment-proof"],
      responseHeaders: { "PAYMENT-RESPONSE": PAYMENT_RESPONSE },
    };
  }
  return {
    kind: "deny",
    decisionId: "deny-1",
    method: "none",
    routeId: "data",
    outcome: "payment_required",
    status: 402,
    reason: "PAYMENT_REQUIRED",
    headers: { "PAYMENT-REQUIRED": PAYMENT_REQUIRED_HEADER },
    body: invoiceBody,
  };
}

let server: ExtAuthzServer;
let port: number;
beforeAll(async () => {
  server = createExtAuthzServer({ check });
  port = await server.listen(0, "127.0.0.1");
});
afterAll(() => server.shutdown(500));

const headerPairs = (opts: Array<{ header: { key: string; value: string } }>) => opts.map((o) => [o.header.key, o.header.value]);

describe("buf curl (upstream Envoy protos) against our ext_authz server", () => {
  it("a request without proof gets 402 PaymentRequired with a JSON invoice body", async () => {
    const res = await bufCheck(port, loadEnvoyFixture("envoy-get-priced.json"));
    expect(res.status.code).toBe(7);
    expect(res.deniedResponse.status.code).toBe("PaymentRequired");
    expect(headerPairs(res.deniedResponse.headers)).toContainEqual(["content-type", "application/json"]);
    expect(headerPairs(res.deniedResponse.headers)).toContainEqual(["PAYMENT-REQUIRED", PAYMENT_REQUIRED_HEADER]);
    expect(JSON.parse(res.deniedResponse.body)).toEqual(invoiceBody);
    expect(res.dynamicMetadata).toEqual({ decision_id: "deny-1", reason: "PAYMENT_REQUIRED" });
  });

  it("a request with a proof is allowed, strips the proof and returns PAYMENT-RESPONSE", async () => {
    const res = await bufCheck(port, loadEnvoyFixture("envoy-post-payment-proof.json", { INVOICE_ID: "inv_1", TX_HASH: "AB".repeat(32) }));
    expect(res.status?.code ?? 0).toBe(0);
    expect(res.deniedResponse).toBeUndefined();
    expect(res.okResponse.headersToRemove).toContain("x-payment-proof");
    expect(headerPairs(res.okResponse.responseHeadersToAdd)).toContainEqual(["PAYMENT-RESPONSE", PAYMENT_RESPONSE]);
    expect(res.okResponse.headers[0].appendAction).toBe("OVERWRITE_IF_EXISTS_OR_ADD");
    expect(res.dynamicMetadata).toEqual({ decision_id: "allow-1", method: "invoice", route: "data" });
  });

  it("a CheckRequest without http attributes gets a 400 BadRequest deny", async () => {
    const res = await bufCheck(port, { attributes: { contextExtensions: { route: "data" } } });
    expect(res.deniedResponse.status.code).toBe("BadRequest");
    expect(JSON.parse(res.deniedResponse.body).error).toBe("INVALID_REQUEST");
  });

  it("a failing core surfaces as gRPC INTERNAL", async () => {
    const fixture = loadEnvoyFixture("envoy-get-priced.json");
    fixture.attributes.request.http.path = "/boom";
    const err = await bufCheck(port, fixture).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BufCurlError);
    expect((err as BufCurlError).grpcCode).toBe("internal");
  });

  it("health reports SERVING, then NOT_SERVING after setServing(false)", async () => {
    expect(await bufHealth(port)).toBe("SERVING");
    server.setServing(false);
    try {
      expect(await bufHealth(port)).toBe("NOT_SERVING");
    } finally {
      server.setServing(true);
    }
  });
});
