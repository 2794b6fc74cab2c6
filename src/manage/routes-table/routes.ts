/** GET /manage/routes (the effective price table) and POST /manage/routes/reload. */
import type { FastifyInstance } from "fastify";
import { sendError } from "../../transport/http/errors.js";
import { guard } from "../auth/guard.js";
import type { ManageDeps } from "../deps.js";
import { money } from "../http.js";

/** Registers the route-table routes on the /manage plugin. */
export function routeTableRoutes(app: FastifyInstance, deps: ManageDeps): void {
  const table = deps.routeTable;
  app.get("/routes", { preHandler: guard(deps.tokens, "read") }, async () => ({
    routesFile: table.routesFile ?? null,
    lastReload: table.lastReload() ?? null,
    routes: table.entries().map(({ rule, source }) => ({
      id: rule.id,
      method: rule.method ?? null,
      pattern: rule.pattern,
      ...money("price", rule.priceMicro),
      free: rule.priceMicro === 0n,
      source,
      ...(rule.bundles && { bundles: rule.bundles.map((b) => ({ uses: b.uses, ...money("price", b.priceMicro) })) }),
      ...(rule.scope !== undefined && { scope: rule.scope }),
      ...(rule.passes && { passes: rule.passes.map((p) => ({ seconds: p.seconds, ...money("price", p.priceMicro) })) }),
    })),
    // Requests no rule matches (and without Envoy context_extensions) pay GATEWAY_DEFAULT_PRICE.
    default: { ...money("price", deps.config.defaultPriceMicro), source: "GATEWAY_DEFAULT_PRICE" },
  }));
  app.post("/routes/reload", { preHandler: guard(deps.tokens, "write") }, async (_req, reply) => {
    const status = await table.reload("api");
    if (!status.ok) return sendError(reply, "ROUTES_INVALID", (status.problems ?? []).join("; "));
    return { ...status, routes: table.entries().length };
  });
}
