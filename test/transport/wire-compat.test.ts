import { describe, expect, it } from "vitest";
import protobuf from "protobufjs";
import { toCheckResponse } from "../../src/transport/envoy/response.js";
import { protoRoot } from "../../src/transport/envoy/protos.js";
import { runBuf } from "../support/buf.js";
import { ourRoot, upstreamRoot } from "../support/protos.js";

const ours = ourRoot();
const upstream = upstreamRoot();
const AS_OBJECT: protobuf.IConversionOptions = { longs: String, enums: String, bytes: String };

/** Every message and enum we define in the Envoy / google.rpc packages. */
function ourDefinitions(): { types: protobuf.Type[]; enums: protobuf.Enum[] } {
  const types: protobuf.Type[] = [];
  const enums: protobuf.Enum[] = [];
  const visit = (ns: protobuf.NamespaceBase): void => {
    for (const child of ns.nestedArray) {
      if (child.fullName.startsWith(".google.protobuf") || child.fullName.startsWith(".grpc")) continue;
      if (child instanceof protobuf.Type) types.push(child);
      if (child instanceof protobuf.Enum) enums.push(child);
      if (child instanceof protobuf.Namespace) visit(child);
    }
  };
  visit(ours);
  return { types, enums };
}

/** Encode with one schema, decode with the other, and return both plain objects. */
function crossDecode(name: string, sample: object, from: protobuf.Root, to: protobuf.Root) {
  const writer = from.lookupType(name);
  const reader = to.lookupType(name);
  const source = writer.fromObject(sample);
  const bytes = writer.encode(source).finish();
  return { sent: writer.toObject(source, AS_OBJECT), received: reader.toObject(reader.decode(bytes), AS_OBJECT) };
}

const struct = (values: Record<string, string | number | boolean>) => ({
  fields: Object.fromEntries(
    Object.entries(values).map(([k, v]) => [
      k,
      typeof v === "string" ? { stringValue: v } : typeof v === "number" ? { numberValue: v } : { boolValue: v },
    ]),
  ),
});

const checkRequest = {
  attributes: {
    source: {
      address: { socket_address: { address: "10.1.2.3", port_value: 51234 } },
      principal: "spiffe://cluster.local/ns/agents/sa/bot",
    },
    destination: { address: { socket_address: { address: "10.1.9.9", port_value: 8080, protocol: "TCP" } } },
    request: {
      time: { seconds: "1763726400", nanos: 123000000 },
      http: {
        id: "13359530218406397200",
        method: "POST",
        headers: { ":authority": "api.example.com", ":path": "/api/data?x=1", "x-payment-proof": "inv:ABC" },
        header_map: { headers: [{ key: "x-raw", raw_value: Buffer.from("b\u00fcf").toString("base64") }] },
        path: "/api/data?x=1",
        host: "api.example.com",
        scheme: "https",
        query: "x=1",
        fragment: "",
        size: "9007199254740993",
        protocol: "HTTP/2",
        body: "{}",
        raw_body: Buffer.from([0, 1, 2, 255]).toString("base64"),
      },
    },
    context_extensions: { price: "0.002", route: "data", free: "false" },
    metadata_context: { filter_metadata: { "envoy.filters.http.jwt_authn": struct({ sub: "agent-7", n: 3, ok: true }) } },
  },
};

const denied = {
  status: { code: 7, message: "PAYMENT_REQUIRED" },
  denied_response: {
    status: { code: "PaymentRequired" },
    headers: [
      { header: { key: "content-type", value: "application/json" }, append_action: "OVERWRITE_IF_EXISTS_OR_ADD" },
      { header: { key: "payment-required", value: "eyJ4NDAyVmVyc2lvbiI6Mn0=" }, append: { value: false } },
    ],
    body: '{"error":"PAYMENT_REQUIRED"}',
  },
  dynamic_metadata: struct({ decision_id: "d-1", reason: "PAYMENT_REQUIRED" }),
};

const allowed = {
  status: { code: 0 },
  ok_response: {
    headers: [{ header: { key: "x-gate402-paid", value: "1000" }, append_action: "OVERWRITE_IF_EXISTS_OR_ADD" }],
    headers_to_remove: ["x-payment-proof", "x-client-key"],
    response_headers_to_add: [{ header: { key: "PAYMENT-RESPONSE", value: "e30=" }, append_action: "ADD_IF_ABSENT" }],
    query_parameters_to_set: [{ key: "paid", value: "1" }],
    query_parameters_to_remove: ["token"],
  },
  dynamic_metadata: struct({ decision_id: "d-2", method: "invoice", route: "data" }),
};

const samples: Array<[string, string, object]> = [
  ["CheckRequest", "envoy.service.auth.v3.CheckRequest", checkRequest],
  ["denied CheckResponse", "envoy.service.auth.v3.CheckResponse", denied],
  ["allowed CheckResponse", "envoy.service.auth.v3.CheckResponse", allowed],
];

describe("our proto subset is wire-compatible with upstream Envoy ext_authz v3", () => {
  it("our proto/ compiles with buf, a strict protoc-compatible compiler", async () => {
    const json = await runBuf(["build", protoRoot(), "-o", "-#format=json"]);
    const files = (JSON.parse(json) as { file: Array<{ name: string }> }).file.map((f) => f.name);
    expect(files).toEqual(expect.arrayContaining(["envoy/service/auth/v3/external_auth.proto", "grpc/health/v1/health.proto"]));
  });

  it("every field we define has the upstream number, type, label and map key", () => {
    const { types } = ourDefinitions();
    expect(types.map((t) => t.fullName)).toContain(".envoy.service.auth.v3.AttributeContext.HttpRequest");
    for (const type of types) {
      const theirs = upstream.lookupType(type.fullName);
      for (const field of type.fieldsArray) {
        const match = theirs.fieldsById[field.id];
        expect(match, `${type.fullName}.${field.name}`).toBeDefined();
        // Message/enum types compare by resolved full name (the .proto may spell them relatively).
        const shape = (f: protobuf.Field) => [
          f.name,
          f.resolvedType?.fullName ?? f.type,
          f.repeated,
          f instanceof protobuf.MapField ? f.keyType : undefined,
        ];
        expect(shape(match!)).toEqual(shape(field));
      }
    }
  });

  it("every enum value we define has the upstream number", () => {
    const { enums } = ourDefinitions();
    expect(enums.map((e) => e.fullName)).toContain(".envoy.type.v3.StatusCode");
    for (const e of enums) {
      const theirs = upstream.lookupEnum(e.fullName);
      expect(theirs.values).toMatchObject(e.values);
    }
  });

  it.each(samples)("%s encoded by us decodes identically with upstream", (_label, name, sample) => {
    const { sent, received } = crossDecode(name, sample, ours, upstream);
    expect(received).toEqual(sent);
    // The sample survived encoding at depth (a silently dropped field would pass the equality above).
    expect(JSON.stringify(sent)).toContain(name.endsWith("CheckRequest") ? '"stringValue":"agent-7"' : '"stringValue":"d-');
  });

  it.each(samples)("%s encoded by upstream decodes identically with ours", (_label, name, sample) => {
    const { sent, received } = crossDecode(name, sample, upstream, ours);
    expect(received).toEqual(sent);
  });

  it("our rendered 402 decodes with upstream as PaymentRequired with its headers and metadata", () => {
    const rendered = toCheckResponse({
      kind: "deny",
      decisionId: "d-9",
      method: "none",
      routeId: "data",
      outcome: "payment_required",
      status: 402,
      reason: "PAYMENT_REQUIRED",
      headers: { "PAYMENT-REQUIRED": "abc" },
      body: { error: "PAYMENT_REQUIRED" },
    });
    const { received } = crossDecode("envoy.service.auth.v3.CheckResponse", rendered, ours, upstream);
    expect(received.status).toEqual({ code: 7, message: "PAYMENT_REQUIRED" });
    expect(received.denied_response.status.code).toBe("PaymentRequired");
    expect(received.denied_response.headers.map((h: { header: { key: string } }) => h.header.key)).toEqual([
      "content-type",
      "PAYMENT-REQUIRED",
    ]);
    expect(received.dynamic_metadata.fields.decision_id).toEqual({ stringValue: "d-9" });
  });
});
