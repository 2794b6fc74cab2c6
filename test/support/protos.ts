/**
 * protobufjs roots for wire-compatibility tests: OUR subset (proto/) and the UPSTREAM Envoy protos
 * shipped by @grpc/grpc-js-xds under deps/ (envoy-api, xds, googleapis, protoc-gen-validate).
 * google/protobuf well-known types come from protobufjs' bundled copies (descriptor.proto from its dir).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import protobuf from "protobufjs";
import { protoRoot } from "../../src/transport/envoy/protos.js";

export const UPSTREAM_DEPS = join(protoRoot(), "..", "node_modules", "@grpc", "grpc-js-xds", "deps");
export const UPSTREAM_INCLUDES = ["envoy-api", "xds", "googleapis", "protoc-gen-validate"].map((d) => join(UPSTREAM_DEPS, d));
/** protobufjs ships google/protobuf/descriptor.proto (needed by upstream option annotations). */
const PROTOBUFJS_DIR = join(protoRoot(), "..", "node_modules", "protobufjs");

const ENTRY = ["envoy/service/auth/v3/external_auth.proto", "envoy/service/accesslog/v3/als.proto"];

function loadFrom(includes: readonly string[], files: readonly string[]): protobuf.Root {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => {
    for (const dir of includes) {
      const candidate = join(dir, target);
      if (existsSync(candidate)) return candidate;
    }
    return target; // google/protobuf/* resolve to protobufjs' bundled definitions
  };
  root.loadSync([...files], { keepCase: true });
  root.resolveAll();
  return root;
}

/** Our proto/ subset: ext_authz, access log service and grpc health. */
export function ourRoot(): protobuf.Root {
  return loadFrom([protoRoot()], [...ENTRY, "grpc/health/v1/health.proto"]);
}

/** Upstream Envoy ext_authz v3 and access log service v3 with all their imports. */
export function upstreamRoot(): protobuf.Root {
  return loadFrom([...UPSTREAM_INCLUDES, PROTOBUFJS_DIR], ENTRY);
}
