/**
 * Loads gate402's ext_authz, health and access log service protos (package root `proto/`) with @grpc/proto-loader.
 *
 * Loader options, and the object shapes they give (see types.ts):
 * - keepCase: true   field names stay snake_case as in the .proto (`context_extensions`)
 * - longs: String    int64 (`HttpRequest.size`) decodes as a decimal string, never a lossy number
 * - enums: String    enums decode as names (`"PaymentRequired"`), and we encode with names
 * - defaults: true   absent scalars decode as their zero value, absent messages as null
 * - oneofs: true     a virtual field names the set member (`http_response: "ok_response"`)
 * bytes stay Buffers (proto-loader default).
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as protoLoader from "@grpc/proto-loader";

export const LOADER_OPTIONS: protoLoader.Options = Object.freeze({
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
});

/** Files under proto/ that define the services we serve. */
export const SERVICE_PROTOS = [
  "envoy/service/auth/v3/external_auth.proto",
  "grpc/health/v1/health.proto",
  "envoy/service/accesslog/v3/als.proto",
] as const;

/**
 * Absolute path of the package's `proto/` directory: walks up from this module to the first folder
 * holding package.json, so it works from src/ (vitest) and from dist/src/ (after tsc).
 * @throws Error when no package.json with a sibling proto/ is found up to the filesystem root.
 */
export function protoRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (let i = 0; i < 64; i++) {
    if (existsSync(join(dir, "package.json")) && existsSync(join(dir, "proto"))) {
      return join(dir, "proto");
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new Error(`gate402 proto/ directory not found above ${from}`);
}

let cached: protoLoader.PackageDefinition | undefined;

/** The loaded package definition (Authorization, Health, AccessLogService), loaded once per process. */
export function loadExtAuthzPackage(): protoLoader.PackageDefinition {
  cached ??= protoLoader.loadSync([...SERVICE_PROTOS], {
    ...LOADER_OPTIONS,
    includeDirs: [protoRoot()],
  });
  return cached;
}
