/**
 * The chart's envoy.yaml in its TLS variants (and plaintext) checked field by field against the upstream
 * Envoy v3 protos (@grpc/grpc-js-xds deps/): every key must be a field of its message (typed_config resolved
 * through its @type), every enum value a name of its enum. Catches a misspelt or misplaced field Envoy would
 * reject. (envoy-config.test.ts checks deploy/envoy/envoy.yaml with `buf convert`; this one adds the
 * UpstreamTlsContext of tls.enabled.)
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import protobuf from "protobufjs";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { UPSTREAM_INCLUDES } from "../support/protos.js";
import { ALL_FLAGS, BASE_SET, ROOT, TLS_FLAGS, findDoc, helmTemplate } from "./helpers.js";

const FILES = [
  "envoy/config/bootstrap/v3/bootstrap.proto",
  "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto",
  "envoy/extensions/filters/http/ext_authz/v3/ext_authz.proto",
  "envoy/extensions/filters/http/router/v3/router.proto",
  "envoy/extensions/upstreams/http/v3/http_protocol_options.proto",
  "envoy/extensions/transport_sockets/tls/v3/tls.proto",
  "envoy/extensions/access_loggers/grpc/v3/als.proto",
];
let root: protobuf.Root;

beforeAll(() => {
  const includes = [...UPSTREAM_INCLUDES, join(ROOT, "node_modules", "protobufjs")];
  root = new protobuf.Root();
  root.resolvePath = (_origin, target) => includes.map((d) => join(d, target)).find((p) => existsSync(p)) ?? target;
  root.loadSync(FILES, { keepCase: true });
  root.resolveAll();
});

/** Problems of `value` as a `type` message, paths like clusters[0].transport_socket.typed_config.sni. */
function problems(type: protobuf.Type, value: unknown, path: string): string[] {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return [`${path}: expected a ${type.fullName} object`];
  if (type.fullName === ".google.protobuf.Any") {
    const url = (value as Record<string, unknown>)["@type"];
    if (typeof url !== "string") return [`${path}: typed_config without @type`];
    const inner = root.lookupType(url.replace(/^type\.googleapis\.com\//, ""));
    const { "@type": _, ...rest } = value as Record<string, unknown>;
    return problems(inner, rest, path);
  }
  const out: string[] = [];
  for (const [key, v] of Object.entries(value)) {
    const field = type.fields[key];
    if (!field) {
      out.push(`${path}.${key}: no such field in ${type.fullName}`);
      continue;
    }
    const items = field.repeated ? (Array.isArray(v) ? v : [Symbol("not a list")]) : [v];
    items.forEach((item, i) => {
      const at = field.repeated ? `${path}.${key}[${i}]` : `${path}.${key}`;
      if (typeof item === "symbol") return out.push(`${at}: expected a list`);
      const resolved = field.resolvedType;
      if (resolved instanceof protobuf.Enum) {
        if (!(String(item) in resolved.values)) out.push(`${at}: ${String(item)} is not a ${resolved.fullName}`);
      } else if (
        (resolved instanceof protobuf.Type && !resolved.fullName.startsWith(".google.protobuf.")) ||
        resolved?.fullName === ".google.protobuf.Any"
      ) {
        if (field.map)
          for (const [k, mv] of Object.entries(item as object)) out.push(...problems(resolved as protobuf.Type, mv, `${at}.${k}`));
        else out.push(...problems(resolved as protobuf.Type, item, at));
      }
    });
  }
  return out;
}

const bootstrapOf = async (sets: string[]) => parse(findDoc((await helmTemplate(sets)).docs, "ConfigMap", "-envoy").data["envoy.yaml"]);

describe("the chart's envoy.yaml against the upstream Envoy v3 protos", () => {
  const variants: Record<string, string[]> = {
    plaintext: [...BASE_SET, "integrations.envoy.enabled=true"],
    "TLS + mTLS": [...BASE_SET, ...ALL_FLAGS, ...TLS_FLAGS],
    "TLS, sidecar": [...BASE_SET, "mode=sidecar", "integrations.envoy.enabled=true", "tls.enabled=true", "tls.secretName=s"],
  };
  for (const [name, sets] of Object.entries(variants)) {
    it(`${name}: every field exists in its message`, async () => {
      const bootstrap = root.lookupType("envoy.config.bootstrap.v3.Bootstrap");
      expect(problems(bootstrap, await bootstrapOf(sets), "bootstrap")).toEqual([]);
    });
  }

  it("the check fails for a misplaced field and a wrong enum value", async () => {
    const config = await bootstrapOf([...BASE_SET, ...ALL_FLAGS, ...TLS_FLAGS]);
    const gate = config.static_resources.clusters.find((c: { name: string }) => c.name === "gate402");
    gate.transport_socket.typed_config.common_tls_context.sni = "misplaced";
    gate.transport_socket.typed_config.common_tls_context.validation_context.match_typed_subject_alt_names[0].san_type = "HOSTNAME";
    const found = problems(root.lookupType("envoy.config.bootstrap.v3.Bootstrap"), config, "bootstrap");
    expect(found).toHaveLength(2);
    expect(found.join("\n")).toMatch(/common_tls_context\.sni: no such field/);
    expect(found.join("\n")).toMatch(/san_type: HOSTNAME is not/);
  });
});
