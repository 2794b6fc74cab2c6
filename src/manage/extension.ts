/**
 * The management API as a gateway Extension: HTTP under /manage on the gateway's fastify app and its own
 * small Postgres pool; the route table it shows and reloads is the app's (src/config/route-table.ts). Endpoints: docs/management.md and
 * GET /manage/openapi.json.
 */
import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import type { GatewayConfig } from "../config/load.js";
import type { RouteTable } from "../config/route-table.js";
import type { PgStore } from "../store/pg-store.js";
import { createPool } from "../store/pool.js";
import { accountRoutes } from "./accounts/routes.js";
import { authRoutes } from "./auth/routes.js";
import type { TLSSocket } from "node:tls";
import { operatorRoutes } from "./auth/operator-routes.js";
import { createRevocationList } from "./auth/revocations.js";
import { createLoginThrottle } from "./auth/throttle.js";
import { createTokenService } from "./auth/tokens.js";
import { sendError } from "../transport/http/errors.js";
import type { ManageDeps } from "./deps.js";
import { ledgerRoutes } from "./ledger/routes.js";
import { openApiDocument } from "./openapi.js";
import { passRoutes } from "./passes/routes.js";
import { reportRoutes } from "./reports/routes.js";
import { routeTableRoutes } from "./routes-table/routes.js";
import { transactionRoutes } from "./transactions/routes.js";

export interface ManageOptions {
  /** connections of the management pool (default 4) */
  readonly poolMax?: number;
}

/** What the management API needs from the running gateway (the app's GatewayContext satisfies it). */
export interface ManageExtensionContext {
  readonly config: GatewayConfig;
  readonly databaseUrl: string;
  readonly store: PgStore;
  readonly log: Logger;
  /** the HTTP app before it listens */
  readonly http: FastifyInstance;
  readonly clock: () => number;
  /** package version, for GET /manage/openapi.json */
  readonly version: string;
  /** the run-time route table (src/config/route-table.ts): GET /manage/routes shows it, POST …/reload reloads it */
  readonly routeTable: RouteTable;
}

/** Registers every /manage route on `app` (inside a plugin prefixed /manage). */
export function registerManageRoutes(app: FastifyInstance, deps: ManageDeps, version: string): void {
  const doc = openApiDocument(version);
  void app.register(
    async (m) => {
      if (deps.config.tls?.manageClientCert) {
        // GATEWAY_TLS_MANAGE_CLIENT_CERT: the HTTP port asks every client for a certificate but lets the
        // handshake succeed without one (the public routes need none); /manage insists on a verified one.
        m.addHook("onRequest", async (req, reply) => {
          if ((req.raw.socket as TLSSocket).authorized !== true) {
            return sendError(reply, "CLIENT_CERTIFICATE_REQUIRED", "The management API needs a client certificate from the configured CA");
          }
        });
      }
      authRoutes(m, deps);
      operatorRoutes(m, deps);
      accountRoutes(m, deps);
      transactionRoutes(m, deps);
      ledgerRoutes(m, deps);
      reportRoutes(m, deps);
      routeTableRoutes(m, deps);
      passRoutes(m, deps);
      m.get("/openapi.json", async () => doc);
    },
    { prefix: "/manage" },
  );
}

/** The management extension; `manageExtension()` with defaults is what DEFAULT_EXTENSIONS lists. */
export function manageExtension(opts: ManageOptions = {}): (ctx: ManageExtensionContext) => Promise<{ stop(): Promise<void> }> {
  return async (ctx) => {
    const { config } = ctx;
    // Management work (1,000 transfers, a ledger walk) waits for its own connections instead of taking
    // the Check path's, and may wait longer for them.
    const pool = createPool({
      databaseUrl: ctx.databaseUrl,
      poolMax: opts.poolMax ?? 4,
      statementTimeoutMs: 30_000,
      connectTimeoutMs: 30_000,
      logger: ctx.log,
    });
    const log = ctx.log.child({ component: "manage" });
    const revocations = await createRevocationList(pool, config.manageAuth.revocationPollMs, log);
    const throttle = createLoginThrottle(pool, config.manageAuth);
    const tokens = createTokenService({
      jwtSecret: config.jwtSecret,
      oidc: config.oidc,
      clock: ctx.clock,
      isRevoked: revocations.isRevoked,
    });
    const deps = { config, pool, store: ctx.store, log, tokens, routeTable: ctx.routeTable, revocations, throttle };
    registerManageRoutes(ctx.http, deps, ctx.version);
    return {
      async stop() {
        revocations.stop();
        await pool.end();
      },
    };
  };
}
