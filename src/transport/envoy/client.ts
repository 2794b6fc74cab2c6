/**
 * A typed grpc-js client for gate402's ext_authz server (demo, tests, benchmarks): same proto/ and loader options
 * as the server (snake_case objects, enums as names; see src/transport/envoy/protos.ts).
 */
import * as grpc from "@grpc/grpc-js";
import { loadExtAuthzPackage } from "./protos.js";
import type { DecodedCheckResponse, ServingStatus } from "./types.js";

export interface ExtAuthzClient {
  /** Authorization/Check; rejects with a grpc.ServiceError (has `.code`) on a gRPC error status. */
  check(request: object): Promise<DecodedCheckResponse>;
  /** grpc.health.v1.Health/Check for a service name ("" = whole server). */
  health(service?: string): Promise<ServingStatus>;
  close(): void;
}

type Unary = (req: object, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res?: unknown) => void) => void;

function clientFor(pkg: grpc.GrpcObject, name: string, address: string, credentials: grpc.ChannelCredentials): grpc.Client {
  let node: unknown = pkg;
  for (const part of name.split(".")) node = (node as Record<string, unknown>)[part];
  const Ctor = node as grpc.ServiceClientConstructor;
  return new Ctor(address, credentials);
}

function call<T>(client: grpc.Client, method: string, request: object): Promise<T> {
  const fn = (client as unknown as Record<string, Unary>)[method]!.bind(client);
  return new Promise<T>((resolve, reject) => {
    fn(request, { deadline: Date.now() + 10_000 }, (err, res) => (err ? reject(err) : resolve(res as T)));
  });
}

/** Connects (lazily) to "127.0.0.1:<port>"; plaintext unless `credentials` (e.g. grpc.credentials.createSsl) are given. */
export function checkClient(address: string, credentials: grpc.ChannelCredentials = grpc.credentials.createInsecure()): ExtAuthzClient {
  const pkg = grpc.loadPackageDefinition(loadExtAuthzPackage());
  const auth = clientFor(pkg, "envoy.service.auth.v3.Authorization", address, credentials);
  const health = clientFor(pkg, "grpc.health.v1.Health", address, credentials);
  return {
    check: (request) => call<DecodedCheckResponse>(auth, "Check", request),
    health: async (service = "") => (await call<{ status: ServingStatus }>(health, "Check", { service })).status,
    close: () => {
      auth.close();
      health.close();
    },
  };
}
