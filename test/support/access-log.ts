/**
 * Envoy access log messages as Envoy's http_grpc access logger sends them, BUILT WITH THE UPSTREAM
 * ENVOY PROTOS (@grpc/grpc-js-xds deps/, see protos.ts): each HTTPAccessLogEntry carries the ext_authz
 * filter's dynamic metadata (the CheckResponse's, under "envoy.filters.http.ext_authz"), the response
 * code and flags. `streamAccessLogs` sends the encoded bytes on one StreamAccessLogs call through a
 * plain grpc-js client, so our server decodes exactly what upstream encoding produced.
 */
import * as grpc from "@grpc/grpc-js";
import type { DecodedCheckResponse } from "../../src/transport/envoy/types.js";
import { upstreamRoot } from "./protos.js";

const upstream = upstreamRoot();
const MESSAGE = upstream.lookupType("envoy.service.accesslog.v3.StreamAccessLogsMessage");
export const STREAM_METHOD = "/envoy.service.accesslog.v3.AccessLogService/StreamAccessLogs";

export interface LoggedRequest {
  /** string fields of the ext_authz dynamic metadata, e.g. { decision_id, method, route } */
  readonly metadata: Record<string, string>;
  readonly status: number;
  /** ResponseFlags set, e.g. ["upstream_request_timeout"] */
  readonly flags?: readonly string[];
  /** AccessLogType name; default: unset (Envoy's classic end-of-stream log) */
  readonly logType?: string;
  /** metadata namespace; default "envoy.filters.http.ext_authz" */
  readonly namespace?: string;
  readonly path?: string;
  /** common_properties.start_time; default one second before now (whole seconds) */
  readonly startedAt?: Date;
}

/** The string fields of a decoded CheckResponse's dynamic_metadata, as Envoy stores them. */
export function metadataOf(res: DecodedCheckResponse): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(res.dynamic_metadata?.fields ?? {})) {
    if ("stringValue" in v && typeof v.stringValue === "string") out[k] = v.stringValue;
  }
  return out;
}

const struct = (values: Record<string, string>) => ({
  fields: Object.fromEntries(Object.entries(values).map(([k, v]) => [k, { stringValue: v }])),
});

/** One upstream HTTPAccessLogEntry as a plain object (upstream field names). */
export function httpEntry(r: LoggedRequest, n = 0): object {
  const nowMs = Date.now();
  return {
    common_properties: {
      sample_rate: 1,
      downstream_remote_address: { socket_address: { address: "10.0.0.7", port_value: 51234 } },
      start_time: { seconds: String(Math.floor((r.startedAt?.getTime() ?? nowMs - 1000) / 1000)), nanos: 0 },
      duration: { seconds: "0", nanos: 12_000_000 },
      upstream_remote_address: { socket_address: { address: "10.0.3.4", port_value: 8080 } },
      upstream_cluster: "upstream",
      response_flags: Object.fromEntries((r.flags ?? []).map((f) => [f, true])),
      metadata: { filter_metadata: { [r.namespace ?? "envoy.filters.http.ext_authz"]: struct(r.metadata) } },
      route_name: "paid",
      upstream_request_attempt_count: 1,
      stream_id: `stream-${n}`,
      ...(r.logType ? { access_log_type: r.logType } : {}),
      custom_tags: { env: "test" },
    },
    protocol_version: "HTTP11",
    request: {
      request_method: "GET",
      scheme: "https",
      authority: "api.example.com",
      path: r.path ?? "/api/metered/q",
      user_agent: "agent/1.0",
      request_id: `req-${n}`,
      request_headers_bytes: "210",
      request_headers: { "x-request-id": `req-${n}` },
    },
    response: {
      response_code: { value: r.status },
      response_headers_bytes: "90",
      response_body_bytes: "17",
      response_code_details: r.status >= 500 ? "upstream_reset_before_response_started{connection_termination}" : "via_upstream",
      response_headers: { "content-type": "application/json" },
    },
  };
}

/** One StreamAccessLogsMessage (upstream-encoded bytes); `first` adds the stream identifier. */
export function accessLogMessage(requests: readonly LoggedRequest[], first = true): Buffer {
  const message = MESSAGE.fromObject({
    ...(first ? { identifier: { node: { id: "envoy-0", cluster: "ingress", metadata: struct({ zone: "a" }) }, log_name: "gate402" } } : {}),
    http_logs: { log_entry: requests.map((r, i) => httpEntry(r, i)) },
  });
  const err = MESSAGE.verify(message);
  if (err) throw new Error(`not an upstream StreamAccessLogsMessage: ${err}`);
  return Buffer.from(MESSAGE.encode(message).finish());
}

/** A TCP proxy's log message (no ext_authz decision in it). */
export function tcpAccessLogMessage(): Buffer {
  return Buffer.from(
    MESSAGE.encode(
      MESSAGE.fromObject({
        tcp_logs: {
          log_entry: [{ common_properties: { upstream_cluster: "db" }, connection_properties: { received_bytes: "10", sent_bytes: "20" } }],
        },
      }),
    ).finish(),
  );
}

/**
 * Sends `messages` on one StreamAccessLogs call to 127.0.0.1:`port`, ends the stream and resolves when
 * the server answered (it answers after handling every message).
 */
export function streamAccessLogs(port: number, messages: readonly Buffer[]): Promise<void> {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  return new Promise<void>((resolve, reject) => {
    const call = client.makeClientStreamRequest<Buffer, Buffer>(
      STREAM_METHOD,
      (b) => b,
      (b) => b,
      { deadline: Date.now() + 60_000 },
      (err) => {
        client.close();
        if (err) reject(err);
        else resolve();
      },
    );
    for (const m of messages) call.write(m);
    call.end();
  });
}
