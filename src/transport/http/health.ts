import type { FastifyInstance } from "fastify";
import { formatCoins } from "../../money.js";
import type { HttpDeps } from "./deps.js";

/** GET /health (ClawPurse Gateway compatible), /healthz (liveness), /readyz (Postgres + chain), /metrics. */
export function healthRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const { config } = deps;
  app.get("/health", async () => ({
    status: "ok", version: deps.version, paymentAddress: config.paymentAddress,
    defaultPrice: formatCoins(config.defaultPriceMicro), defaultPriceMicro: config.defaultPriceMicro.toString(),
    currency: config.currency, denom: config.denom, network: config.network, prepaidEnabled: config.prepaidEnabled,
  }));
  app.get("/healthz", async () => ({ status: "ok" }));
  app.get("/readyz", async (_req, reply) => {
    const checks = await Promise.all([
      deps.store.ping().then(() => "ok", (e: Error) => e.message),
      deps.chain.latestHeight().then(() => "ok", (e: Error) => e.message),
    ]);
    const [postgres, chain] = checks;
    const ready = postgres === "ok" && chain === "ok";
    return reply.code(ready ? 200 : 503).send({ status: ready ? "ready" : "not_ready", postgres, chain });
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
