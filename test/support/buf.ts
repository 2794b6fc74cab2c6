/**
 * `buf curl` as a real third-party gRPC client for contract tests: it speaks to our server using a
 * descriptor image built from the UPSTREAM Envoy protos (@grpc/grpc-js-xds deps/) and protojson
 * (camelCase) input/output, exactly as another implementation would.
 *
 * grpc.health.v1 has no upstream copy in node_modules, so the image adds our proto/grpc/health/v1
 * (the standard file shape, per grpc doc/health-checking.md).
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { protoRoot } from "../../src/transport/envoy/protos.js";
import { UPSTREAM_INCLUDES } from "./protos.js";

export const BUF = join(protoRoot(), "..", "node_modules", "@bufbuild", "buf-linux-x64", "bin", "buf");
const ENTRIES = ["envoy/service/auth/v3/external_auth.proto", "envoy/service/accesslog/v3/als.proto", "grpc/health/v1/health.proto"];
const HEALTH_INCLUDE = protoRoot();
const TIMEOUT_MS = 30_000;

/** Raised when buf exits non-zero; `grpcCode` is the gRPC status name buf reported, if any. */
export class BufCurlError extends Error {
  constructor(
    readonly exitCode: number | null,
    readonly stderr: string,
    readonly grpcCode?: string,
  ) {
    super(`buf exited ${exitCode}: ${stderr.trim().slice(0, 500)}`);
  }
}

/** One shared dir (BUF_CACHE_DIR and images keyed by content), so repeated runs do not pile up temp dirs. */
const BASE = join(tmpdir(), "gate402-buf");
let image: Promise<string> | undefined;

/**
 * Copies `entries` and their transitive imports (google/protobuf/* excepted: buf ships them).
 * @returns the files' combined sha256, which names the cached image
 */
function copyClosure(entries: readonly string[], includes: readonly string[], dest: string): string {
  const hash = createHash("sha256");
  const seen = new Set<string>();
  const queue = [...entries];
  for (let file = queue.pop(); file !== undefined && seen.size < 500; file = queue.pop()) {
    if (seen.has(file) || file.startsWith("google/protobuf/")) continue;
    const dir = includes.find((d) => existsSync(join(d, file!)));
    if (!dir) throw new Error(`import ${file} not found under ${includes.join(", ")}`);
    seen.add(file);
    const source = patched(file, readFileSync(join(dir, file), "utf8"));
    hash.update(`${file}\0${source}\0`);
    mkdirSync(dirname(join(dest, file)), { recursive: true });
    writeFileSync(join(dest, file), source);
    for (const m of source.matchAll(/^\s*import\s+(?:public\s+|weak\s+)?"([^"]+)";/gm)) queue.push(m[1]!);
  }
  return hash.digest("hex").slice(0, 16);
}

/**
 * The protoc-gen-validate copy vendored next to envoy-api predates StringRules.ignore_empty (field 26),
 * which envoy/config/core/v3/protocol.proto sets; buf refuses the unknown option field. Validation
 * options change neither the wire nor the JSON format, so the copy gets the field it lacks.
 */
function patched(file: string, source: string): string {
  if (file !== "validate/validate.proto" || /message StringRules \{[^}]*ignore_empty/.test(source)) return source;
  return source.replace(/(optional bool strict = 25 \[default = true\];)/, "$1\n  optional bool ignore_empty = 26;");
}

/** Builds the descriptor image once per content (cached under the OS temp dir); resolves its path. */
export function upstreamImage(): Promise<string> {
  image ??= buildImage(ENTRIES);
  return image;
}

/** Upstream Envoy config protos (bootstrap and the extensions our envoy.yaml names), for `buf convert`. */
export const ENVOY_CONFIG_ENTRIES = [
  "envoy/config/bootstrap/v3/bootstrap.proto",
  "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto",
  "envoy/extensions/filters/http/ext_authz/v3/ext_authz.proto",
  "envoy/extensions/filters/http/router/v3/router.proto",
  "envoy/extensions/upstreams/http/v3/http_protocol_options.proto",
  "envoy/extensions/access_loggers/grpc/v3/als.proto",
];
let configImage: Promise<string> | undefined;

/** The image of ENVOY_CONFIG_ENTRIES (cached like upstreamImage). */
export function envoyConfigImage(): Promise<string> {
  configImage ??= buildImage(ENVOY_CONFIG_ENTRIES);
  return configImage;
}

function buildImage(entries: readonly string[]): Promise<string> {
  return (async () => {
    mkdirSync(BASE, { recursive: true });
    const workspace = mkdtempSync(join(BASE, "ws-"));
    try {
      const key = copyClosure(entries, [...UPSTREAM_INCLUDES, HEALTH_INCLUDE], workspace);
      const out = join(BASE, `image-${key}.binpb`);
      if (existsSync(out)) return out;
      writeFileSync(join(workspace, "buf.yaml"), "version: v2\n");
      const partial = join(workspace, "image.binpb");
      await run(["build", workspace, "-o", partial], "");
      renameSync(partial, out); // atomic: parallel runs never see a half-written image
      return out;
    } finally {
      rmSync(workspace, { recursive: true, force: true });
    }
  })();
}

/** Runs buf with a private cache; resolves stdout, rejects with BufCurlError. */
export function runBuf(args: readonly string[], stdin = ""): Promise<string> {
  return run(args, stdin);
}

function run(args: readonly string[], stdin: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, BUF_CACHE_DIR: join(BASE, "cache"), HOME: process.env.HOME ?? BASE };
    const child = spawn(BUF, [...args], { env, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), TIMEOUT_MS);
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", (err) => (clearTimeout(timer), reject(err)));
    child.on("close", (code) => {
      clearTimeout(timer);
      if (code === 0) return resolve(stdout);
      reject(new BufCurlError(code, stderr, grpcCodeOf(stderr)));
    });
    child.stdin.end(stdin);
  });
}

/** buf curl prints a failed RPC as JSON {"code": "internal", ...} on stderr. */
function grpcCodeOf(stderr: string): string | undefined {
  const match = /"code"\s*:\s*"([a-z_]+)"/.exec(stderr);
  return match?.[1];
}

/** TLS for buf curl: the CA that signs the server certificate, and optionally a client certificate. */
export interface BufTls {
  readonly caFile: string;
  readonly certFile?: string;
  readonly keyFile?: string;
}

async function curl(port: number, method: string, body: unknown, tls?: BufTls): Promise<any> {
  const schema = await upstreamImage();
  const url = `${tls ? "https" : "http"}://127.0.0.1:${port}/${method}`;
  const transport = tls
    ? ["--cacert", tls.caFile, ...(tls.certFile ? ["--cert", tls.certFile] : []), ...(tls.keyFile ? ["--key", tls.keyFile] : [])]
    : ["--http2-prior-knowledge"];
  const args = ["curl", "--schema", schema, "--protocol", "grpc", ...transport, "-d", "@-", url];
  const stdout = await run(args, JSON.stringify(body));
  return stdout.trim() === "" ? {} : JSON.parse(stdout);
}

/**
 * envoy.service.auth.v3.Authorization/Check via buf curl.
 * @param requestJson a CheckRequest in protojson (camelCase) form, e.g. a test/fixtures/envoy file
 * @returns the CheckResponse as protojson (defaults omitted: an OK status may be absent)
 * @throws BufCurlError on a gRPC error status (grpcCode e.g. "internal") or a buf failure
 */
export function bufCheck(port: number, requestJson: unknown, tls?: BufTls): Promise<any> {
  return curl(port, "envoy.service.auth.v3.Authorization/Check", requestJson, tls);
}

/** grpc.health.v1.Health/Check via buf curl; resolves the status name, e.g. "SERVING". */
export async function bufHealth(port: number, service = "", tls?: BufTls): Promise<string> {
  const res = await curl(port, "grpc.health.v1.Health/Check", { service }, tls);
  return typeof res.status === "string" ? res.status : "UNKNOWN";
}

/**
 * `buf curl` with NO schema: buf asks the server itself (gRPC server reflection), as a person trying
 * gate402 by hand would. `target` is a method ("envoy.service.auth.v3.Authorization/Check") or "" with
 * `extra` ["--list-services"] / ["--list-methods"].
 * @returns stdout (JSON for calls, one name per line for lists)
 */
export function bufReflect(port: number, target: string, body?: unknown, extra: readonly string[] = []): Promise<string> {
  const url = `http://127.0.0.1:${port}/${target}`;
  const args = ["curl", "--protocol", "grpc", "--http2-prior-knowledge", ...extra, ...(body === undefined ? [] : ["-d", "@-"]), url];
  return run(args, body === undefined ? "" : JSON.stringify(body));
}
