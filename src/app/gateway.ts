import { randomUUID } from "node:crypto";
import { join } from "node:path";
import type { Server as TlsServer } from "node:tls";
import type { Logger } from "pino";
import type { FastifyInstance } from "fastify";
import { createChainRegistry, type ChainRegistry, type NetworkChain } from "../chain/registry.js";
import type { GatewayConfig } from "../config/load.js";
import { createRouteTable, type RouteTable } from "../config/route-table.js";
import { createGate } from "../core/gate.js";
import { InvoiceCodec } from "../core/invoices.js";
import { createRateLimiter } from "../core/rate-limit.js";
import { metricsEvents } from "../observability/events.js";
import { createMetrics, initOfferMetrics, type Metrics } from "../observability/metrics.js";
import { migrate } from "../store/migrate.js";
import { createPgStore, poolStats, type PgStore } from "../store/pg-store.js";
import { pgRefunds } from "../store/refunds.js";
import { ReloadableServerCredentials, secureContextOptions } from "../tls/grpc-credentials.js";
import { createTlsReloader, type TlsReloader } from "../tls/reloader.js";
import { accessLogService, createExtAuthzServer, type ExtAuthzServer } from "../transport/envoy/index.js";
import { buildHttpApp } from "../transport/http/app.js";
import { checkHandler, type CheckHandler } from "./check-handler.js";
import { startPasses, type PassRuntime } from "./passes.js";
import type { Extension, GatewayContext } from "./context.js";
import { DEFAULT_EXTENSIONS } from "./extensions.js";
import { pooledNonce } from "./random.js";
import { createRefunder } from "./refunds.js";
import { VERSION } from "./version.js";
import { createSignedTxDeps } from "../x402/settle-deps.js";

/** A running gate402: gRPC ext_authz + HTTP API over one store and one chain stack. */
export interface RunningGateway {
  readonly config: GatewayConfig;
  readonly grpcPort: number;
  readonly httpPort: number;
  /** the plaintext grpc.health.v1-only port (GATEWAY_HEALTH_GRPC_PORT), when configured */
  readonly healthGrpcPort?: number;
  /** the TLS file watcher when TLS is on (`check()` re-reads the files now) */
  readonly tls?: TlsReloader;
  /** http(s)://127.0.0.1:<httpPort> */
  readonly httpUrl: string;
  readonly databaseUrl: string;
  readonly store: PgStore;
  /** the primary network's chain stack (networks.primary) */
  readonly chain: NetworkChain;
  /** every network's chain stack (GATEWAY_CHAIN_ID first, then GATEWAY_NETWORKS) */
  readonly networks: ChainRegistry;
  readonly metrics: Metrics;
  readonly check: CheckHandler;
  readonly http: FastifyInstance;
  /** pass tokens and this replica's revoked list */
  readonly passes: PassRuntime;
  /** the run-time route table (reload(), set()); in-flight checks keep the table they started with */
  readonly routeTable: RouteTable;
  /** graceful: gRPC health NOT_SERVING first so Envoy drains, then finish in-flight, then close */
  stop(graceMs?: number): Promise<void>;
}

export type { Extension, GatewayContext } from "./context.js";

export interface StartOptions {
  readonly log: Logger;
  /** unix ms; injected by tests */
  readonly clock?: () => number;
  /** features started with the gateway; default: DEFAULT_EXTENSIONS */
  readonly extensions?: readonly Extension[];
  /** ms a burst of GATEWAY_ROUTES_FILE change events settles before the reload (default 250) */
  readonly routeReloadDebounceMs?: number;
}

/** Resolves DATABASE_URL, or starts embedded Postgres under GATEWAY_DATA_DIR (dev only). */
async function database(config: GatewayConfig, log: Logger): Promise<{ url: string; stop(): Promise<void> }> {
  if (config.databaseUrl) return { url: config.databaseUrl, stop: async () => {} };
  const { startEmbeddedPostgres } = await import("../store/embedded.js");
  const pg = await startEmbeddedPostgres({ dataDir: join(config.dataDir, "postgres"), logger: log });
  log.info({ port: pg.port, dataDir: join(config.dataDir, "postgres") }, "embedded Postgres started");
  return { url: pg.databaseUrl, stop: () => pg.stop() };
}

/**
 * Starts gate402: migrations (advisory-locked, safe with many replicas), store, chain stack, decision
 * core, gRPC ext_authz server on GATEWAY_GRPC_PORT and HTTP API on GATEWAY_HTTP_PORT (0 = ephemeral).
 * @throws on migration failure or a port in use
 */
export async function startGateway(config: GatewayConfig, opts: StartOptions): Promise<RunningGateway> {
  const { log } = opts;
  const clock = opts.clock ?? Date.now;
  const db = await database(config, log);
  await migrate(db.url, log);
  const store = createPgStore({
    databaseUrl: db.url,
    logger: log,
    poolMax: config.dbPoolMax,
    connectTimeoutMs: config.dbAcquireTimeoutMs,
    defaultDeadlineMs: config.checkDeadlineMs,
    queueMax: config.dbQueueMax,
    batchWindowMs: config.dbBatchWindowMs,
    batchMax: config.dbBatchMax,
    ledgerRollups: config.ledgerRollups,
    ledgerRollupMs: config.ledgerRollupMs,
  });
  const metrics = createMetrics();
  initOfferMetrics(metrics);
  const networks = createChainRegistry(config.networks, { deadlineMs: config.chainTimeoutMs, metrics, log });
  const chain = networks.primary;
  // v1 ids for the primary asset (as before), v2 ids naming any other accepted asset (core/invoices.ts).
  const codec = new InvoiceCodec(
    config.invoiceSecret,
    config.paymentAddress,
    config.denom,
    config.chainId,
    config.assets.filter((a) => !a.primary),
  );
  const routeTable = createRouteTable({
    routes: config.routes,
    routesFile: config.routesFile,
    envRoutes: config.envRoutes,
    assets: config.assets,
    log,
    debounceMs: opts.routeReloadDebounceMs,
    clock,
  });
  const signedTx = createSignedTxDeps(config, chain.chain, store.pool, metrics.registry);
  const passes = await startPasses(config, db.url, log);
  const gate = createGate({
    terms: {
      payTo: config.paymentAddress,
      denom: config.denom,
      network: config.network,
      currency: config.currency,
      prepaidEnabled: config.prepaidEnabled,
      publicUrl: config.publicUrl ?? "",
    },
    prices: {
      routes: routeTable.current,
      defaultPriceMicro: config.defaultPriceMicro,
      strictRouting: config.strictRouting,
      assets: config.assets,
    },
    codec,
    chain: chain.chain,
    store,
    assets: config.assets,
    networkChain: (id) => {
      const n = networks.get(id);
      return n && { chain: n.chain, lastKnownHeight: n.lastKnownHeight };
    },
    invoiceTtlSeconds: config.invoiceTtlSeconds,
    minConfirmations: config.minConfirmations,
    prepaidEnabled: config.prepaidEnabled,
    lateGraceSeconds: config.lateGraceSeconds,
    checkDeadlineMs: config.checkDeadlineMs,
    lastKnownHeight: chain.lastKnownHeight,
    nextBlockSeconds: chain.nextBlockSeconds,
    clock,
    newId: randomUUID,
    nonce: pooledNonce(),
    events: metricsEvents(metrics, log),
    chainLookupLimiter: createRateLimiter({ refillPerSecond: config.rateLimitPerSec, capacity: config.rateLimitBurst, clock }),
    signedTx: signedTx.deps,
    passes,
  });
  const check = checkHandler(gate, metrics, log, config.dryRun);
  const refunder = createRefunder({
    policy: config.refundPolicy,
    windowMs: config.refundWindowSeconds * 1000,
    refunds: pgRefunds(store.pool),
    metrics,
    log: log.child({ component: "refunds" }),
  });
  const tls = config.tls ? createTlsReloader(config.tls, config.tls.reloadMs, log.child({ component: "tls" })) : undefined;
  const grpcCredentials = tls ? new ReloadableServerCredentials(tls.current()) : undefined;
  const grpc: ExtAuthzServer = createExtAuthzServer({
    check,
    logger: log.child({ component: "grpc" }),
    credentials: grpcCredentials,
    services: [
      { name: "envoy.service.accesslog.v3.AccessLogService", ...accessLogService(refunder.sink, log.child({ component: "access-log" })) },
    ],
  });
  const grpcPort = await grpc.listen(config.grpcPort, config.host);
  const healthGrpcPort = config.healthGrpcPort === undefined ? undefined : await grpc.listenHealth(config.healthGrpcPort, config.host);
  // The HTTP port asks for a client certificate only when /manage requires one; other routes ignore it.
  const manageMtls = config.tls?.manageClientCert === true;
  // rejectUnauthorized false: the handshake succeeds without one, and the /manage hook refuses the request.
  const https = tls ? { ...secureContextOptions(tls.current()), requestCert: manageMtls, rejectUnauthorized: false } : undefined;
  const http = buildHttpApp(
    {
      config,
      store,
      chain: chain.chain,
      codec,
      metrics,
      log,
      version: VERSION,
      check,
      poolStats: () => poolStats(store),
      clock,
      networks: () => networks.availability(),
      chainFor: (id) => networks.get(id)?.chain,
    },
    [],
    https,
  );
  tls?.onChange((m) => {
    grpcCredentials!.update(m);
    (http.server as unknown as TlsServer).setSecureContext(secureContextOptions(m));
  });
  const ctx: GatewayContext = {
    config,
    log,
    store,
    databaseUrl: db.url,
    chain,
    networks,
    codec,
    metrics,
    check,
    http,
    clock,
    version: VERSION,
    signedTx: signedTx.deps,
    routeTable,
  };
  const started: { stop(): Promise<void> }[] = [];
  for (const ext of opts.extensions ?? DEFAULT_EXTENSIONS) {
    const handle = await ext(ctx);
    if (handle) started.push(handle);
  }
  await http.listen({ port: config.httpPort, host: config.host });
  const httpPort = (http.server.address() as { port: number }).port;
  const scheme = tls ? "https" : "http";
  const others = config.networks.filter((n) => !n.primary).map((n) => n.id);
  log.info(
    {
      grpcPort,
      httpPort,
      payTo: config.paymentAddress,
      network: config.network,
      rpc: config.rpcUrls,
      networks: others,
      dryRun: config.dryRun,
    },
    "gate402 listening",
  );
  return {
    config,
    grpcPort,
    httpPort,
    healthGrpcPort,
    tls,
    httpUrl: `${scheme}://127.0.0.1:${httpPort}`,
    databaseUrl: db.url,
    store,
    chain,
    networks,
    metrics,
    check,
    http,
    passes,
    routeTable,
    async stop(graceMs = 5000) {
      grpc.setServing(false);
      await grpc.shutdown(graceMs);
      refunder.stop();
      await http.close();
      tls?.stop();
      for (const h of started.reverse()) await h.stop();
      routeTable.stop();
      await passes.stop();
      networks.stop();
      signedTx.stop();
      await store.close();
      await db.stop();
    },
  };
}
