import type { FastifyInstance, FastifyReply } from "fastify";
import { apiError, type ApiError, type ApiErrorCode, type ApiStatusOf } from "../../core/catalogue.js";
import { PriceConfigError } from "../../core/pricing.js";
import { ChainUnavailableError, StoreUnavailableError } from "../../ports/errors.js";

/**
 * Sends the API's one error shape: JSON `{ error, message }` with a code of the catalogue
 * (src/core/catalogue.ts API_ERRORS) and its status, or one of the code's other statuses.
 */
export function sendError<C extends ApiErrorCode>(reply: FastifyReply, code: C, message: string, status?: ApiStatusOf<C>): FastifyReply {
  return sendApiError(reply, apiError(code, message, status));
}

/** Sends an error built with apiError (e.g. by a function that decides without a reply). */
export function sendApiError(reply: FastifyReply, e: ApiError): FastifyReply {
  return reply.code(e.status).type("application/json").send(e.body);
}

/** Statuses of fastify's own client errors that keep their status (body too large, media type). */
const PARSER_STATUSES = new Set([413, 415]);

/**
 * Error handler: outages → 503 with their code, schema failures and bad JSON → 400 INVALID_REQUEST
 * (413 and 415 from the body parser keep their status), anything else → 500 without internals.
 */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err, req, reply) => {
    if (err instanceof ChainUnavailableError) {
      return sendError(reply.header("retry-after", "2"), "CHAIN_UNAVAILABLE", "Chain RPC unavailable; retry later");
    }
    if (err instanceof StoreUnavailableError) {
      return sendError(reply.header("retry-after", "2"), "STORE_UNAVAILABLE", "Database unavailable; retry later");
    }
    const e = err as { statusCode?: number; message?: string; validation?: unknown };
    if (e.validation || (e.statusCode && e.statusCode >= 400 && e.statusCode < 500)) {
      const status = e.statusCode !== undefined && PARSER_STATUSES.has(e.statusCode) ? (e.statusCode as 413 | 415) : 400;
      return sendError(reply, "INVALID_REQUEST", e.message ?? "Malformed request", status);
    }
    // A misconfigured price was already logged once per route by the check handler.
    if (!(err instanceof PriceConfigError)) req.log.error({ err }, "unhandled HTTP API error");
    return sendError(reply, "INTERNAL", "Internal error");
  });
  app.setNotFoundHandler((req, reply) => sendError(reply, "NOT_FOUND", `No route ${req.method} ${req.url.split("?")[0]}`));
}
