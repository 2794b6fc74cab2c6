import * as grpc from "@grpc/grpc-js";
import { afterEach, describe, expect, it } from "vitest";
import type { Decision } from "../../src/core/decision.js";
import type { RequestFacts } from "../../src/core/facts.js";
import { createExtAuthzServer, type ExtAuthzServer } from "../../src/transport/envoy/server.js";
import { loadExtAuthzPackage } from "../../src/transport/envoy/protos.js";
import { checkClient, type ExtAuthzClient } from "../support/extauthz-client.js";

const open: Array<{ server: ExtAuthzServer; client: ExtAuthzClient }> = [];
afterEach(async () => {
  for (const { server, client } of open.splice(0)) {
    client.close();
    await server.shutdown(100);
  }
});

async function start(check: (facts: RequestFacts) => Promise<Decision>) {
  const server = createExtAuthzServer({ check });
  const port = await server.listen(0, "127.0.0.1");
  const client = checkClient(`127.0.0.1:${port}`);
  open.push({ server, client });
  return { server, client, port };
}

const request = { attributes: { request: { http: { method: "get", path: "/api/data?q=1", host: "api.test" } } } };
const paymentRequired: Decision = {
  kind: "deny",
  decisionId: "d-1",
  method: "none",
  routeId: "data",
  outcome: "payment_required",
  status: 402,
  reason: "PAYMENT_REQUIRED",
  headers: {},
  body: { error: "PAYMENT_REQUIRED" },
};

describe("ext_authz gRPC server", () => {
  it("passes the extracted facts to check and returns its rendered decision", async () => {
    const seen: RequestFacts[] = [];
    const { client } = await start(async (facts) => (seen.push(facts), paymentRequired));
    const res = await client.check(request);
    expect(seen.map((f) => [f.method, f.host, f.path])).toEqual([["GET", "api.test", "/api/data"]]);
    expect([res.status?.code, res.http_response, res.denied_response?.status.code]).toEqual([7, "denied_response", "PaymentRequired"]);
  });

  it("answers a CheckRequest without attributes.request.http with a 400 INVALID_REQUEST deny, not calling check", async () => {
    let calls = 0;
    const { client } = await start(async () => (calls++, paymentRequired));
    const res = await client.check({ attributes: { request: {} } });
    expect(calls).toBe(0);
    expect(res.denied_response?.status.code).toBe("BadRequest");
    expect(JSON.parse(res.denied_response!.body).error).toBe("INVALID_REQUEST");
    expect(res.dynamic_metadata?.fields.reason).toMatchObject({ stringValue: "INVALID_REQUEST" });
  });

  it("turns a throwing check into gRPC INTERNAL and keeps serving", async () => {
    let fail = true;
    const { client } = await start(async () => {
      if (fail) throw new Error("bug");
      return paymentRequired;
    });
    await expect(client.check(request)).rejects.toMatchObject({ code: grpc.status.INTERNAL });
    fail = false;
    expect((await client.check(request)).status?.code).toBe(7);
  });

  it("reports SERVING, then NOT_SERVING after setServing(false), and NOT_FOUND for unknown services", async () => {
    const { server, client } = await start(async () => paymentRequired);
    expect(await client.health()).toBe("SERVING");
    expect(await client.health("envoy.service.auth.v3.Authorization")).toBe("SERVING");
    server.setServing(false);
    expect(await client.health()).toBe("NOT_SERVING");
    await expect(client.health("nope")).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
  });

  it("Watch sends the current status and then each change", async () => {
    const { server, port } = await start(async () => paymentRequired);
    const pkg = grpc.loadPackageDefinition(loadExtAuthzPackage()) as any;
    const health = new pkg.grpc.health.v1.Health(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const stream = health.Watch({ service: "" });
    const statuses: string[] = [];
    stream.on("error", () => undefined); // our own cancel() below surfaces as CANCELLED
    await new Promise<void>((resolve) => {
      stream.on("data", (m: { status: string }) => {
        statuses.push(m.status);
        if (statuses.length === 1) server.setServing(false);
        if (statuses.length === 2) resolve();
      });
    });
    stream.cancel();
    health.close();
    expect(statuses).toEqual(["SERVING", "NOT_SERVING"]);
  });

  it("shutdown finishes within graceMs even when a check never settles", async () => {
    const { server, client } = await start(() => new Promise<Decision>(() => undefined));
    const pending = client.check(request).catch((err: grpc.ServiceError) => err.code);
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    await server.shutdown(300);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await pending).not.toBe(grpc.status.OK);
  });
});
