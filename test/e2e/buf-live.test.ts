/**
 * The gRPC contract checked by a third-party client against the REAL gateway: `buf curl` with a
 * schema built from the upstream Envoy protos sends recorded Envoy CheckRequests (protojson) to
 * gate402 on a devnet + Postgres stack, and the CheckResponses are asserted as Envoy reads them.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bufCheck, bufHealth } from "../support/buf.js";
import { envoyFixtureNames, loadEnvoyFixture } from "../support/envoy-fixtures.js";
import { startStack, type Stack } from "../support/stack.js";

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.stop();
});

type HVO = { header?: { key?: string; value?: string } };
const headerMap = (list: HVO[] | undefined) =>
  Object.fromEntries((list ?? []).map((h) => [h.header?.key?.toLowerCase(), h.header?.value ?? ""]));

/** The recorded POST with its payment proof header removed: what an agent sends first. */
function unpaidRequest(): any {
  const req = loadEnvoyFixture("envoy-post-payment-proof.json", { INVOICE_ID: "x", TX_HASH: "x" });
  delete req.attributes.request.http.headers["x-payment-proof"];
  return req;
}

describe("buf curl (upstream Envoy protos) against the running gate402", () => {
  it("pays through the recorded Envoy request: 402 as Envoy reads it → pay on the devnet → allow that strips the proof", async () => {
    const denied = await bufCheck(stack.gw.grpcPort, unpaidRequest());
    expect(denied.status.code).toBe(7);
    expect(denied.deniedResponse.status.code).toBe("PaymentRequired");
    const headers = headerMap(denied.deniedResponse.headers);
    expect(headers["content-type"]).toBe("application/json");
    expect(headers["payment-required"]).toBeTruthy();
    const body = JSON.parse(denied.deniedResponse.body);
    // context_extensions of the recorded route: price 0.25 NTMPI, route id "chat"
    expect(body).toMatchObject({
      error: "PAYMENT_REQUIRED",
      x402Version: 1,
      payment: { amount: "0.250000", amountMicro: "250000", currency: "NTMPI", denom: "uneutaro", address: stack.payTo },
    });
    expect(body.message).toBe("Payment of 0.250000 NTMPI required for POST /v1/chat/completions");
    expect(body.accepts[0]).toMatchObject({
      scheme: "exact",
      maxAmountRequired: "250000",
      resource: "https://llm.example.com/v1/chat/completions",
    });
    expect(denied.dynamicMetadata.decision_id).toEqual(expect.any(String));

    const { invoiceId } = body.payment;
    const { txHash } = await stack.agent.send(stack.payTo, 250_000n, invoiceId);
    const allowed = await bufCheck(
      stack.gw.grpcPort,
      loadEnvoyFixture("envoy-post-payment-proof.json", { INVOICE_ID: invoiceId, TX_HASH: txHash }),
    );
    expect(allowed.status?.code ?? 0).toBe(0);
    expect(allowed.okResponse.headersToRemove).toContain("x-payment-proof");
    const receipt = headerMap(allowed.okResponse.responseHeadersToAdd)["payment-response"];
    expect(JSON.parse(Buffer.from(receipt!, "base64").toString())).toMatchObject({
      success: true,
      transaction: txHash,
      payer: stack.agent.address,
    });
    expect(headerMap(allowed.okResponse.headers)["x-gate402-route"]).toBe("chat");
  });

  it("every recorded Envoy and Istio request gets a well-formed answer (never a gRPC error)", async () => {
    for (const name of envoyFixtureNames()) {
      const res = await bufCheck(
        stack.gw.grpcPort,
        loadEnvoyFixture(name, {
          INVOICE_ID: "not-an-invoice-id",
          TX_HASH: "A".repeat(64),
          CLIENT_ID: "c_unknown",
          CLIENT_KEY: "k_" + "z".repeat(43),
          PAYMENT_SIGNATURE: "e30=",
          X_PAYMENT: "e30=",
        }),
      );
      const ok = res.okResponse !== undefined;
      expect(ok || typeof res.deniedResponse?.status?.code === "string", name).toBe(true);
      if (!ok) expect(() => JSON.parse(res.deniedResponse.body), name).not.toThrow();
    }
  });

  it("grpc.health.v1.Health answers SERVING", async () => {
    expect(await bufHealth(stack.gw.grpcPort)).toBe("SERVING");
  });
});
