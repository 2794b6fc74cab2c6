/**
 * The `/ext-authz/*` HTTP mode end to end, with requests shaped as Envoy's ext_authz `http_service`
 * sends them (`path_prefix: /ext-authz`: original method, prefix + original path, Host, the allowed
 * headers, x-envoy-* additions, content-length 0 or the buffered body). No Envoy binary exists here.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rawRequest } from "../support/http-request.js";
import { startStack, type Stack } from "../support/stack.js";

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ env: { GATEWAY_ROUTES: "POST /api/items=0.002" } });
});
afterAll(async () => {
  await stack?.stop();
});

/** An Envoy http_service authorization request for `method path` on api.example.com. */
function envoyAsks(method: string, path: string, headers: Record<string, string> = {}, body?: string) {
  return rawRequest({
    port: stack.gw.httpPort,
    method,
    path: `/ext-authz${path}`,
    body,
    headers: {
      host: "api.example.com",
      "x-forwarded-proto": "https",
      "x-request-id": randomUUID(),
      "x-envoy-internal": "true",
      "x-envoy-expected-rq-timeout-ms": "200",
      "content-length": String(Buffer.byteLength(body ?? "")),
      ...headers,
    },
  });
}

describe("Envoy http_service mode (/ext-authz/*)", () => {
  it("an unpaid request gets the docs/design.md 402 for the original method, host and path", async () => {
    const res = await envoyAsks("POST", "/api/items?x=1");
    expect(res.status).toBe(402);
    expect(res.headers["content-type"]).toBe("application/json");
    const body = res.json();
    expect(body.error).toBe("PAYMENT_REQUIRED");
    expect(body.message).toBe("Payment of 0.002000 NTMPI required for POST /api/items");
    expect(body.accepts[0]).toMatchObject({
      resource: "https://api.example.com/api/items?x=1",
      maxAmountRequired: "2000",
      payTo: stack.payTo,
    });
    const v2 = JSON.parse(Buffer.from(String(res.headers["payment-required"]), "base64").toString("utf8"));
    expect(v2).toMatchObject({ x402Version: 2, resource: { url: "https://api.example.com/api/items?x=1" } });
  });

  it("a paid request is allowed with x-gate402-* headers, PAYMENT-RESPONSE and x-envoy-auth-headers-to-remove; a replay is refused", async () => {
    const inv = (await envoyAsks("POST", "/api/items")).json().payment;
    const { txHash } = await stack.agent.send(inv.address, BigInt(inv.amountMicro), inv.memo);
    const proof = { "x-payment-proof": `${inv.invoiceId}:${txHash}` };
    const ok = await envoyAsks("POST", "/api/items", proof);
    expect(ok.status).toBe(200);
    expect(ok.body).toBe("");
    expect(ok.headers).toMatchObject({
      "x-gate402-paid-by": "invoice",
      "x-gate402-route": "POST /api/items",
      "x-gate402-amount-micro": "2000",
      "x-gate402-payer": stack.agent.address,
      "x-gate402-tx-hash": txHash,
      "x-gate402-client-id": "",
      "x-envoy-auth-headers-to-remove": "x-payment-proof",
    });
    const receipt = JSON.parse(Buffer.from(String(ok.headers["payment-response"]), "base64").toString("utf8"));
    expect(receipt).toEqual({ success: true, transaction: txHash, network: `cosmos:${stack.devnet.chainId}`, payer: stack.agent.address });
    const replay = await envoyAsks("POST", "/api/items", proof);
    expect(replay.status).toBe(402);
    expect(replay.json().error).toBe("PROOF_ALREADY_USED");
  });

  it("the proof binds the method: paid for POST, refused for GET of the same path", async () => {
    const inv = (await envoyAsks("POST", "/api/items")).json().payment;
    const { txHash } = await stack.agent.send(inv.address, BigInt(inv.amountMicro), inv.memo);
    const asGet = await envoyAsks("GET", "/api/items", { "x-payment-proof": `${inv.invoiceId}:${txHash}` });
    expect(asGet.json().error).toBe("WRONG_RESOURCE");
  });

  it("a body forwarded with with_request_body is ignored, even malformed JSON", async () => {
    const res = await envoyAsks("POST", "/api/items", { "content-type": "application/json" }, '{"half":');
    expect(res.status).toBe(402);
    expect(res.json().error).toBe("PAYMENT_REQUIRED");
  });

  it("a malformed x-payment-proof is a 400 INVALID_PROOF with an invoice, not a crash", async () => {
    const res = await envoyAsks("GET", "/api/data", { "x-payment-proof": "not a proof" });
    expect(res.status).toBe(400);
    expect(res.json()).toMatchObject({ error: "INVALID_PROOF" });
  });
});
