/**
 * gRPC server reflection, checked with a real client that has NO schema: `buf curl` discovers the
 * services and message types from the running server (as `grpcurl` would), then calls Check and Health
 * by name with protojson input — the README's by-hand commands.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RequestFacts } from "../../src/core/facts.js";
import { createExtAuthzServer, invalidRequestDecision, type ExtAuthzServer } from "../../src/transport/envoy/server.js";
import { InvalidCheckRequestError } from "../../src/transport/envoy/request.js";
import { bufReflect, BufCurlError } from "../support/buf.js";
import { loadEnvoyFixture } from "../support/envoy-fixtures.js";

const seen: RequestFacts[] = [];
let server: ExtAuthzServer;
let port: number;
beforeAll(async () => {
  // The core's answer does not matter here; what reached it does.
  server = createExtAuthzServer({
    check: async (facts) => (seen.push(facts), invalidRequestDecision(new InvalidCheckRequestError(["test"]))),
  });
  port = await server.listen(0, "127.0.0.1");
});
afterAll(() => server.shutdown(500));

describe("gRPC server reflection (buf curl without --schema)", () => {
  it("lists the ext_authz and health services", async () => {
    const services = (await bufReflect(port, "", undefined, ["--list-services"])).trim().split("\n");
    expect(services).toEqual(expect.arrayContaining(["envoy.service.auth.v3.Authorization", "grpc.health.v1.Health"]));
  });

  it("lists their methods (buf resolves every file the services need)", async () => {
    expect((await bufReflect(port, "", undefined, ["--list-methods"])).trim().split("\n")).toEqual(
      expect.arrayContaining(["envoy.service.auth.v3.Authorization/Check", "grpc.health.v1.Health/Check", "grpc.health.v1.Health/Watch"]),
    );
  });

  it("calls Check with a recorded Envoy CheckRequest in protojson: the request reaches the core intact", async () => {
    const res = JSON.parse(await bufReflect(port, "envoy.service.auth.v3.Authorization/Check", loadEnvoyFixture("envoy-get-priced.json")));
    expect(res.deniedResponse.status.code).toBe("BadRequest");
    expect(seen.at(-1)).toMatchObject({ method: "GET", path: "/api/data", host: "api.example.com" });
  });

  it("calls grpc.health.v1.Health/Check", async () => {
    expect(JSON.parse(await bufReflect(port, "grpc.health.v1.Health/Check", { service: "" }))).toEqual({ status: "SERVING" });
  });

  it("without reflection, buf curl cannot resolve the method (so the test above really used reflection)", async () => {
    const bare = createExtAuthzServer({
      check: async () => invalidRequestDecision(new InvalidCheckRequestError(["x"])),
      reflection: false,
    });
    const barePort = await bare.listen(0, "127.0.0.1");
    try {
      await expect(bufReflect(barePort, "grpc.health.v1.Health/Check", { service: "" })).rejects.toBeInstanceOf(BufCurlError);
    } finally {
      await bare.shutdown(200);
    }
  });
});
