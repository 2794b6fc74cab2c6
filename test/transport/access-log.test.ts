/**
 * The access log adapter against entries encoded with the UPSTREAM Envoy protos and decoded with
 * ours (the proto-loader options the server uses): what a refund needs survives, the rest is skipped.
 */
import * as grpc from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { accessLogService, loggedResponses, type LoggedResponse } from "../../src/transport/envoy/access-log.js";
import { loadExtAuthzPackage } from "../../src/transport/envoy/protos.js";
import { createExtAuthzServer, type ExtAuthzServer } from "../../src/transport/envoy/server.js";
import { accessLogMessage, STREAM_METHOD, streamAccessLogs, tcpAccessLogMessage, type LoggedRequest } from "../support/access-log.js";
import { runBuf, upstreamImage } from "../support/buf.js";

/** Decodes upstream-encoded bytes with our proto subset and loader options, as the server does. */
function decodeWithOurs(bytes: Buffer): unknown {
  const pkg = grpc.loadPackageDefinition(loadExtAuthzPackage()) as any;
  const service = pkg.envoy.service.accesslog.v3.AccessLogService.service as grpc.ServiceDefinition;
  return service.StreamAccessLogs!.requestDeserialize(bytes);
}
const read = (...requests: LoggedRequest[]) => loggedResponses(decodeWithOurs(accessLogMessage(requests)));
const allow = { decision_id: "d-1", method: "prepaid", route: "search" };

describe("access log entries (upstream-encoded) → logged responses", () => {
  it("keeps the decision, pay method, route, status, set flags and the request's start time", () => {
    const [entry] = read({ metadata: allow, status: 504, flags: ["upstream_request_timeout", "upstream_retry_limit_exceeded"] });
    expect(entry).toEqual({
      decisionId: "d-1",
      payMethod: "prepaid",
      routeId: "search",
      denied: false,
      status: 504,
      flags: new Set(["upstream_request_timeout", "upstream_retry_limit_exceeded"]),
      startedAt: expect.any(Date),
    } satisfies LoggedResponse);
    // The helper stamps start_time one second before now, in whole seconds.
    expect(Math.abs(Date.now() - 1000 - entry!.startedAt!.getTime())).toBeLessThan(3000);
  });

  it("a missing or zero start_time gives no startedAt", () => {
    const metadata = { filter_metadata: { "envoy.filters.http.ext_authz": { fields: { decision_id: { stringValue: "d-9" } } } } };
    const entry = { common_properties: { metadata, start_time: { seconds: "0", nanos: 0 } }, response: { response_code: { value: 503 } } };
    expect(loggedResponses({ http_logs: { log_entry: [entry] } })[0]).not.toHaveProperty("startedAt");
    const { start_time: _, ...noStart } = entry.common_properties;
    expect(loggedResponses({ http_logs: { log_entry: [{ ...entry, common_properties: noStart }] } })[0]).not.toHaveProperty("startedAt");
  });

  it("marks a deny's metadata as denied", () => {
    expect(read({ metadata: { decision_id: "d-2", reason: "PAYMENT_REQUIRED" }, status: 402 })[0]).toMatchObject({
      decisionId: "d-2",
      denied: true,
      payMethod: undefined,
    });
  });

  it("skips entries without a decision, upstream attempt logs and periodic logs; keeps DownstreamEnd", () => {
    expect(read({ metadata: { other: "x" }, status: 503 })).toEqual([]);
    expect(read({ metadata: allow, status: 503, logType: "UpstreamEnd" })).toEqual([]);
    expect(read({ metadata: allow, status: 503, logType: "DownstreamPeriodic" })).toEqual([]);
    expect(read({ metadata: allow, status: 503, logType: "DownstreamEnd" })).toHaveLength(1);
  });

  it("finds the decision under another namespace only when it has gate402's allow shape", () => {
    expect(read({ metadata: allow, status: 503, namespace: "gate402-authz" })[0]).toMatchObject({ decisionId: "d-1" });
    expect(read({ metadata: { decision_id: "opa-7" }, status: 503, namespace: "envoy.filters.http.opa" })).toEqual([]);
  });

  it("TCP logs and garbage give no entries", () => {
    expect(loggedResponses(decodeWithOurs(tcpAccessLogMessage()))).toEqual([]);
    expect(loggedResponses({ http_logs: { log_entry: [42, null, { response: "x" }] } })).toEqual([]);
    expect(loggedResponses(null)).toEqual([]);
  });
});

describe("StreamAccessLogs on the gRPC port", () => {
  let server: ExtAuthzServer;
  let port: number;
  const seen: LoggedResponse[][] = [];
  beforeAll(async () => {
    server = createExtAuthzServer({
      check: async () => {
        throw new Error("no checks here");
      },
      services: [
        {
          name: "envoy.service.accesslog.v3.AccessLogService",
          ...accessLogService(async (entries) => {
            // Slow sink: batches must still be handled one at a time, in order, all before the reply.
            await new Promise((r) => setTimeout(r, 5));
            seen.push([...entries]);
          }),
        },
      ],
    });
    port = await server.listen(0, "127.0.0.1");
  });
  afterAll(() => server.shutdown(1000));

  it("hands every batch to the sink in order and answers when the stream ends", async () => {
    seen.length = 0;
    const batches = Array.from({ length: 12 }, (_, i) =>
      accessLogMessage([{ metadata: { ...allow, decision_id: `d-${i}` }, status: 500 + i }], i === 0),
    );
    await streamAccessLogs(port, [tcpAccessLogMessage(), ...batches]);
    expect(seen.map((b) => b.map((e) => e.decisionId))).toEqual(batches.map((_, i) => [`d-${i}`]));
  });

  it("buf curl, a third-party client with the upstream descriptors, streams protojson entries", async () => {
    seen.length = 0;
    const schema = await upstreamImage();
    const entry = (id: string, code: number) => ({
      commonProperties: {
        metadata: { filterMetadata: { "envoy.filters.http.ext_authz": { decision_id: id, method: "invoice", route: "r" } } },
        responseFlags: { noHealthyUpstream: code >= 500 },
      },
      response: { responseCode: code },
    });
    const body = [
      { identifier: { node: { id: "envoy-1" }, logName: "gate402" }, httpLogs: { logEntry: [entry("b-1", 503)] } },
      { httpLogs: { logEntry: [entry("b-2", 200)] } },
    ]
      .map((m) => JSON.stringify(m))
      .join("\n");
    await runBuf(
      [
        "curl",
        "--schema",
        schema,
        "--protocol",
        "grpc",
        "--http2-prior-knowledge",
        "-d",
        "@-",
        `http://127.0.0.1:${port}/envoy.service.accesslog.v3.AccessLogService/StreamAccessLogs`,
      ],
      body,
    );
    expect(seen.flat()).toEqual([
      { decisionId: "b-1", payMethod: "invoice", routeId: "r", denied: false, status: 503, flags: new Set(["no_healthy_upstream"]) },
      { decisionId: "b-2", payMethod: "invoice", routeId: "r", denied: false, status: 200, flags: new Set() },
    ]);
  });

  it("shutdown answers an open stream after handling what it received, well before the grace period", async () => {
    seen.length = 0;
    const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const answered = new Promise<grpc.ServiceError | null>((resolve) => {
      const call = client.makeClientStreamRequest<Buffer, Buffer>(
        STREAM_METHOD,
        (b) => b,
        (b) => b,
        (err) => resolve(err),
      );
      // Like Envoy: write and keep the stream open.
      call.write(accessLogMessage([{ metadata: { ...allow, decision_id: "open-1" }, status: 503 }]));
    });
    for (let i = 0; i < 200 && seen.length === 0; i++) await new Promise((r) => setTimeout(r, 25));
    const started = Date.now();
    await server.shutdown(60_000);
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(await answered).toBeNull();
    expect(seen.flat().map((e) => e.decisionId)).toEqual(["open-1"]);
    client.close();
  });
});

describe("shutdown with a stuck sink", () => {
  it("draining never holds the shutdown past the grace period", async () => {
    let received = false;
    const server = createExtAuthzServer({
      check: async () => {
        throw new Error("no checks here");
      },
      services: [
        {
          name: "envoy.service.accesslog.v3.AccessLogService",
          ...accessLogService(() => {
            received = true;
            return new Promise<void>(() => {});
          }), // the database never answers
        },
      ],
    });
    const port = await server.listen(0, "127.0.0.1");
    const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const call = client.makeClientStreamRequest<Buffer, Buffer>(
      STREAM_METHOD,
      (b) => b,
      (b) => b,
      () => {},
    );
    call.write(accessLogMessage([{ metadata: { decision_id: "stuck", method: "prepaid", route: "r" }, status: 503 }]));
    for (let i = 0; i < 200 && !received; i++) await new Promise((r) => setTimeout(r, 25));
    expect(received).toBe(true);
    const started = Date.now();
    await server.shutdown(300);
    expect(Date.now() - started).toBeLessThan(10_000);
    client.close();
  });
});
