import type { ServerOptions as HttpsServerOptions } from "node:https";
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from "fastify";
import type { HttpDeps } from "./deps.js";
import { installErrorHandler } from "./errors.js";
import { healthRoutes } from "./health.js";
import { invoiceRoutes } from "./invoices.js";
import { prepaidRoutes } from "./prepaid.js";
import { forwardAuthRoutes } from "../forward-auth/routes.js";

/** Node's header limit for the HTTP port, bytes (plain and TLS alike). */
const MAX_HEADER_BYTES = 96 * 1024;

/**
 * Builds the HTTP API (not listening: tests use `inject`, src/app/gateway.ts listens).
 * Routes: /health /healthz /readyz /metrics, /invoices/:id, /prepaid/* when prepaid is enabled.
 */
export function buildHttpApp(deps: HttpDeps, extra: ((app: FastifyInstance) => void)[] = [], https?: HttpsServerOptions): FastifyInstance {
  // With `https` the server is a tls.Server (HTTP/1.1 over TLS); gateway.ts rotates its certificate with
  // setSecureContext. The instance type differs only in the raw server's type, hence the cast.
  const app = Fastify({
    ...(https ? { https: { ...https, maxHeaderSize: MAX_HEADER_BYTES } } : {}),
    // Per-request access logs are info-level noise at thousands of checks/s: fastify logs warn and up;
    // our own events go through deps.log. (pino 10 and fastify's bundled pino types differ nominally.)
    loggerInstance: deps.log.child({ component: "http" }, { level: "warn" }) as unknown as FastifyBaseLogger,
    bodyLimit: 64 * 1024,
    // Above the core's 64 KiB header limit (core/limits.ts), so oversized headers get our 400
    // INVALID_REQUEST rather than Node's bare 431 (which still applies beyond this).
    http: { maxHeaderSize: MAX_HEADER_BYTES },
    // GET /invoices/:id: invoice ids run up to 255 characters (core/invoices.ts); fastify's default is 100.
    routerOptions: { maxParamLength: 256 },
  }) as unknown as FastifyInstance;
  installErrorHandler(app);
  healthRoutes(app, deps);
  invoiceRoutes(app, deps);
  if (deps.config.prepaidEnabled) prepaidRoutes(app, deps);
  forwardAuthRoutes(app, deps.check);
  for (const register of extra) register(app);
  return app;
}
