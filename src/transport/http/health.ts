import type { FastifyInstance } from "fastify";
import { formatCoins } from "../../money.js";
import type { HttpDeps } from "./deps.js";

/**
 * GET /health (ClawPurse Gateway compatible, plus `networks`: each network's pay-to address, denom and
 * chain availability), /healthz (liveness), /readyz (Postgres + the primary chain; other networks are
 * listed but never make the replica unready: one chain down affects only its own payments), /metrics.
 */
export function healthRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const { config } = deps;
  const networks = () => {
    const status = new Map((deps.networks?.() ?? []).map((n) => [n.id, n]));
    return config.networks.map((n) => {
      const s = status.get(n.id);
      return {
        id: n.id,
        primary: n.primary,
        payTo: n.payTo,
        denom: n.denom,
        minConfirmations: n.minConfirmations,
        available: s?.available ?? false,
        height: s?.height ?? 0,
        ...(s?.error !== undefined && { error: s.error }),
      };
    });
  };
  app.get("/health", async () => ({
    status: "ok",
    version: deps.version,
    paymentAddress: config.paymentAddress,
    defaultPrice: formatCoins(config.defaultPriceMicro),
    defaultPriceMicro: config.defaultPriceMicro.toString(),
    currency: config.currency,
    denom: config.denom,
    network: config.network,
    prepaidEnabled: config.prepaidEnabled,
    networks: networks(),
  }));
  app.get("/healthz", async () => ({ status: "ok" }));
  app.get("/readyz", async (_req, reply) => {
    const checks = await Promise.all([
      deps.store.ping().then(
        () => "ok",
        (e: Error) => e.message,
      ),
      deps.chain.latestHeight().then(
        () => "ok",
        (e: Error) => e.message,
      ),
    ]);
    const [postgres, chain] = checks;
    const ready = postgres === "ok" && chain === "ok";
    const others = networks()
      .filter((n) => !n.primary)
      .map((n) => ({ id: n.id, available: n.available, height: n.height }));
    const body = { status: ready ? "ready" : "not_ready", postgres, chain, ...(others.length > 0 && { networks: others }) };
    return reply.code(ready ? 200 : 503).send(body);
  });
  app.get("/metrics", async (_req, reply) => {
    const pool = deps.poolStats?.();
    if (pool) {
      deps.metrics.poolTotal.set(pool.total);
      deps.metrics.poolIdle.set(pool.idle);
      deps.metrics.poolWaiting.set(pool.waiting);
    }
    return reply.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
}
