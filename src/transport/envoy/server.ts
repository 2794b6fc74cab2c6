/**
 * The ext_authz gRPC server: envoy.service.auth.v3.Authorization/Check, grpc.health.v1.Health, any
 * extra services (options.services) and gRPC server reflection (v1 and v1alpha, reflection.ts: `grpcurl`
 * and `buf curl` work without a schema) on one port. It only translates (request.ts, response.ts); the decision comes from `check`.
 *
 * Failure semantics: a malformed CheckRequest → explicit 400 INVALID_REQUEST deny; `check` throwing
 * → gRPC INTERNAL, so Envoy's `status_on_error` / `failure_mode_allow` applies. Never crashes on input.
 */
import { randomUUID } from "node:crypto";
import * as grpc from "@grpc/grpc-js";
import { pino, type Logger } from "pino";
import { denyPlain } from "../../core/answers.js";
import type { Decision, DenyDecision } from "../../core/decision.js";
import type { RequestFacts } from "../../core/facts.js";
import { PriceConfigError } from "../../core/pricing.js";
import { HealthState } from "./health.js";
import { loadExtAuthzPackage } from "./protos.js";
import { addReflection } from "./reflection.js";
import { InvalidCheckRequestError, toRequestFacts } from "./request.js";
import { toCheckResponse } from "./response.js";
import type { CheckResponse } from "./types.js";

export interface ExtAuthzServerOptions {
  /** the decision core; a rejection becomes gRPC INTERNAL */
  check: (facts: RequestFacts) => Promise<Decision>;
  logger?: Logger;
  /** decision for a CheckRequest we cannot read; default: 400 INVALID_REQUEST deny */
  onInvalidRequest?: (error: InvalidCheckRequestError) => DenyDecision;
  /** more services on the same port, by full name from our protos (e.g. the access log service) */
  services?: readonly GrpcServiceHandlers[];
  /** serve gRPC server reflection (the services' schemas, public Envoy protos); default true */
  reflection?: boolean;
  /** credentials of the port (TLS/mTLS: src/tls/); default plaintext */
  credentials?: grpc.ServerCredentials;
}

/** A service defined in proto/ (full name, e.g. "envoy.service.accesslog.v3.AccessLogService") and its handlers. */
export interface GrpcServiceHandlers {
  readonly name: string;
  readonly handlers: grpc.UntypedServiceImplementation;
  /** ends the service's long-lived streams at shutdown, before the grace period starts */
  readonly drain?: () => Promise<void>;
}

export interface ExtAuthzServer {
  /** Binds host:port (port 0 picks one; host default "0.0.0.0"); resolves the bound port. */
  listen(port: number, host?: string): Promise<number>;
  /**
   * Binds a second, plaintext port that serves only grpc.health.v1 (same status as the main port), for
   * kubelet gRPC probes, which cannot speak TLS. Check is not reachable there. Resolves the bound port.
   */
  listenHealth(port: number, host?: string): Promise<number>;
  /** Health status reported by grpc.health.v1 (SERVING / NOT_SERVING). */
  setServing(serving: boolean): void;
  /** NOT_SERVING, then graceful shutdown; in-flight calls are cut after graceMs. */
  shutdown(graceMs: number): Promise<void>;
}

/** The default rendering of an unreadable CheckRequest: 400 with reason INVALID_REQUEST (no details: they are logged). */
export function invalidRequestDecision(_error: InvalidCheckRequestError): DenyDecision {
  return denyPlain(randomUUID(), "none", "default", "INVALID_REQUEST");
}

/** Builds (does not bind) the ext_authz + health gRPC server. */
export function createExtAuthzServer(opts: ExtAuthzServerOptions): ExtAuthzServer {
  const logger = opts.logger ?? pino({ level: "silent" });
  const health = new HealthState();
  const server = new grpc.Server();
  const definition = loadExtAuthzPackage();
  const pkg = grpc.loadPackageDefinition(definition);
  server.addService(serviceOf(pkg, "envoy.service.auth.v3.Authorization"), {
    Check: checkHandler(opts, logger),
  });
  server.addService(serviceOf(pkg, "grpc.health.v1.Health"), health.handlers());
  for (const extra of opts.services ?? []) server.addService(serviceOf(pkg, extra.name), extra.handlers);
  if (opts.reflection ?? true) addReflection(server, definition);
  const healthServer = new grpc.Server();
  healthServer.addService(serviceOf(pkg, "grpc.health.v1.Health"), health.handlers());
  const bound = new Set<grpc.Server>();
  const bind = (srv: grpc.Server, creds: grpc.ServerCredentials, port: number, host: string, what: string, tls: boolean) =>
    new Promise<number>((resolve, reject) => {
      const target = host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
      srv.bindAsync(target, creds, (err, boundPort) => {
        if (err) return reject(err);
        bound.add(srv);
        logger.info({ port: boundPort, host, tls }, what);
        resolve(boundPort);
      });
    });

  return {
    listen: (port, host = "0.0.0.0") =>
      bind(
        server,
        opts.credentials ?? grpc.ServerCredentials.createInsecure(),
        port,
        host,
        "ext_authz gRPC server listening",
        opts.credentials !== undefined,
      ),
    listenHealth: (port, host = "0.0.0.0") =>
      bind(healthServer, grpc.ServerCredentials.createInsecure(), port, host, "gRPC health-only port listening (plaintext)", false),
    setServing: (serving) => health.setServing(serving),
    shutdown: async (graceMs) => {
      health.setServing(false);
      // Draining shares the grace period: a stuck drain (database away) must not hold the shutdown.
      const drained = Promise.all((opts.services ?? []).map((extra) => extra.drain?.()));
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        drained,
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, graceMs);
          timer.unref();
        }),
      ]);
      clearTimeout(timer);
      health.endWatches();
      await Promise.all([...bound].map((srv) => shutdownServer(srv, graceMs)));
    },
  };
}

function checkHandler(opts: ExtAuthzServerOptions, logger: Logger): grpc.handleUnaryCall<unknown, CheckResponse> {
  return (call, callback) => {
    decide(opts, logger, call.request).then(
      (response) => callback(null, response),
      (err: unknown) => {
        // A misconfigured price was already logged once per route by the check handler.
        if (!(err instanceof PriceConfigError)) logger.error({ err }, "check failed; answering INTERNAL");
        callback({ code: grpc.status.INTERNAL, details: "internal error" });
      },
    );
  };
}

/** CheckRequest → CheckResponse; rejects only on unexpected errors (rendered as INTERNAL). */
async function decide(opts: ExtAuthzServerOptions, logger: Logger, request: unknown): Promise<CheckResponse> {
  let facts: RequestFacts;
  try {
    facts = toRequestFacts(request);
  } catch (err) {
    if (!(err instanceof InvalidCheckRequestError)) throw err;
    const decision = (opts.onInvalidRequest ?? invalidRequestDecision)(err);
    logger.warn({ decision_id: decision.decisionId, issues: err.issues }, "invalid CheckRequest");
    return toCheckResponse(decision);
  }
  const decision = await opts.check(facts);
  logger.debug({ decision_id: decision.decisionId, kind: decision.kind, request_id: facts.requestId }, "check");
  return toCheckResponse(decision);
}

function serviceOf(pkg: grpc.GrpcObject, name: string): grpc.ServiceDefinition {
  let node: unknown = pkg;
  for (const part of name.split(".")) node = (node as Record<string, unknown>)[part];
  const ctor = node as grpc.ServiceClientConstructor | undefined;
  if (!ctor?.service) throw new Error(`service ${name} missing from gate402 protos`);
  return ctor.service;
}

function shutdownServer(server: grpc.Server, graceMs: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => server.forceShutdown(), graceMs);
    timer.unref();
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
