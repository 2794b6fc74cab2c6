import { describe, expect, it } from "vitest";
import type { AllowDecision, DenyDecision } from "../../src/core/decision.js";
import { httpStatusName, rpcCodeForDeny, toCheckResponse } from "../../src/transport/envoy/response.js";

const deny = (over: Partial<DenyDecision> = {}): DenyDecision => ({
  kind: "deny",
  decisionId: "d-1",
  method: "none",
  routeId: "r",
  outcome: "payment_required",
  status: 402,
  reason: "PAYMENT_REQUIRED",
  headers: {},
  body: { error: "PAYMENT_REQUIRED", n: "1" },
  ...over,
});
const allow = (over: Partial<AllowDecision> = {}): AllowDecision => ({
  kind: "allow",
  decisionId: "a-1",
  method: "invoice",
  routeId: "data",
  priceMicro: 1000n,
  upstreamHeaders: {},
  headersToRemove: [],
  responseHeaders: {},
  ...over,
});

describe("Decision → CheckResponse", () => {
  it.each([
    [400, 7, "BadRequest"],
    [401, 16, "Unauthorized"],
    [402, 7, "PaymentRequired"],
    [403, 7, "Forbidden"],
    [429, 8, "TooManyRequests"],
    [503, 14, "ServiceUnavailable"],
  ])("a %i deny carries gRPC code %i and HTTP status %s", (status, rpc, name) => {
    const res = toCheckResponse(deny({ status }));
    expect([res.status.code, res.denied_response?.status.code]).toEqual([rpc, name]);
    expect([rpcCodeForDeny(status), httpStatusName(status)]).toEqual([rpc, name]);
  });

  it("a deny body is the JSON of decision.body and content-type is application/json", () => {
    const res = toCheckResponse(deny({ headers: { "PAYMENT-REQUIRED": "eyJ9" } }));
    expect(JSON.parse(res.denied_response!.body)).toEqual({ error: "PAYMENT_REQUIRED", n: "1" });
    expect(res.denied_response!.headers.map((h) => [h.header.key, h.header.value])).toEqual([
      ["content-type", "application/json"],
      ["PAYMENT-REQUIRED", "eyJ9"],
    ]);
  });

  it("a decision's own Content-Type replaces the default one", () => {
    const res = toCheckResponse(deny({ headers: { "Content-Type": "application/problem+json" } }));
    expect(res.denied_response!.headers.map((h) => h.header.value)).toEqual(["application/problem+json"]);
  });

  it("a deny puts decision_id and reason in dynamic_metadata", () => {
    const res = toCheckResponse(deny({ decisionId: "d-77", reason: "RATE_LIMITED", status: 429 }));
    expect(res.dynamic_metadata.fields).toEqual({ decision_id: { stringValue: "d-77" }, reason: { stringValue: "RATE_LIMITED" } });
  });

  it("an allow overwrites upstream and response headers and removes proof headers", () => {
    const res = toCheckResponse(
      allow({
        upstreamHeaders: { "x-gate402-client": "c1" },
        headersToRemove: ["X-Payment-Proof"],
        responseHeaders: { "PAYMENT-RESPONSE": "e30=" },
      }),
    );
    expect(res.status.code).toBe(0);
    expect(res.denied_response).toBeUndefined();
    expect(res.ok_response).toEqual({
      headers: [{ header: { key: "x-gate402-client", value: "c1" }, append_action: "OVERWRITE_IF_EXISTS_OR_ADD" }],
      headers_to_remove: ["x-payment-proof"],
      response_headers_to_add: [{ header: { key: "PAYMENT-RESPONSE", value: "e30=" }, append_action: "OVERWRITE_IF_EXISTS_OR_ADD" }],
    });
    expect(res.dynamic_metadata.fields).toEqual({
      decision_id: { stringValue: "a-1" },
      method: { stringValue: "invoice" },
      route: { stringValue: "data" },
    });
  });
});
