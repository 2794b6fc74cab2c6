import type { FastifyInstance, FastifyReply } from "fastify";
import { PriceConfigError } from "../../core/pricing.js";
import { ChainUnavailableError, StoreUnavailableError } from "../../ports/errors.js";

/** Sends the API's one error shape: JSON `{ error, message }` with a docs/design.md code. */
export function sendError(reply: FastifyReply, status: number, error: string, message: string): FastifyReply {
  return reply.code(status).type("application/json").send({ error, message });
}

/**
 * Error handler: outages → 503 with their code, schema failures and bad JSON → 400 INVALID_REQUEST,
 * anything else → 500 without internals.
 */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err, req, reply) => {
    if (err instanceof ChainUnavailableError) return sendError(reply.header("retry-after", "2"), 503, "CHAIN_UNAVAILABLE", "Chain RPC unavailable; retry later");
    if (err instanceof StoreUnavailableError) return sendError(reply.header("retry-after", "2"), 503, "STORE_UNAVAILABLE", "Database unavailable; retry later");
    const e = err as { statusCode?: number; message?: string; validation?: unknown };
    if (e.validation || (e.statusCode && e.statusCode >= 400 && e.statusCode < 500)) {
      return sendError(reply, e.statusCode && e.statusCode !== 500 ? e.statusCode : 400, "INVALID_REQUEST", e.message ?? "Malformed request");
    }
    // A misconfigured price was already logged once per route by the check handler.
    if (!(err instanceof PriceConfigError)) req.log.error({ err }, "unhandled HTTP API error");
    return sendError(reply, 500, "INTERNAL", "Internal error");
  });
  app.setNotFoundHandler((req, reply) => sendError(reply, 404, "NOT_FOUND", `No route ${req.method} ${req.url.split("?")[0]}`));
}
