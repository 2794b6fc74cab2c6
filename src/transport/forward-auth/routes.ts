/**
 * HTTP forward-auth transport: the same decision pipeline as gRPC Check, asked over HTTP.
 * - `ANY /auth/forward`  — Caddy `forward_auth`, Traefik `ForwardAuth` (original request in X-Forwarded-*);
 * - `ANY /ext-authz/*`   — Envoy ext_authz `http_service` (`path_prefix: /ext-authz`), Istio
 *   `envoyExtAuthzHttp` (`pathPrefix: /ext-authz`).
 * Answers: allow → 200 + headers (response.ts); deny → the decision's status, headers and JSON body;
 * unreadable request → 400 INVALID_REQUEST (a decision with its id, logged); a failing core → 500 INTERNAL (the app's error handler),
 * which every proxy passes to the client as an error — never as a 2xx.
 */
import { randomUUID } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { CheckHandler } from "../check.js";
import { denyPlain } from "../../core/answers.js";
import type { RequestFacts } from "../../core/facts.js";
import { extAuthzFacts, forwardAuthFacts, InvalidAuthRequestError, type HttpAuthRequest } from "./request.js";
import { toHttpAnswer, type HttpAnswer } from "./response.js";

/** Path of the forward-auth endpoint (Caddy `uri`, Traefik `address`). */
export const FORWARD_AUTH_PATH = "/auth/forward";
/** Prefix of the Envoy/Istio HTTP ext_authz endpoint (`path_prefix` / `pathPrefix`). */
export const EXT_AUTHZ_PREFIX = "/ext-authz";

/**
 * Registers both endpoints for every method in an encapsulated scope whose body parser drains and
 * ignores any body: Envoy may forward the client's body (`with_request_body`), and a client's malformed
 * JSON must not turn into our 400.
 */
export function forwardAuthRoutes(app: FastifyInstance, check: CheckHandler): void {
  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", (_req, payload, done) => {
      payload.once("error", (err) => done(err, undefined));
      payload.once("end", () => done(null, undefined));
      payload.resume();
    });
    scope.all(FORWARD_AUTH_PATH, (req, reply) => answer(reply, check, () => forwardAuthFacts(authRequest(req))));
    scope.all(`${EXT_AUTHZ_PREFIX}/*`, (req, reply) => answer(reply, check, () => extAuthzFacts(authRequest(req), EXT_AUTHZ_PREFIX)));
  });
}

/** The raw method, target (undecoded, as sent) and headers of this request. */
function authRequest(req: FastifyRequest): HttpAuthRequest {
  return { method: req.method, url: req.raw.url ?? req.url, headers: req.headers };
}

async function answer(reply: FastifyReply, check: CheckHandler, toFacts: () => RequestFacts): Promise<FastifyReply> {
  let facts: RequestFacts;
  try {
    facts = toFacts();
  } catch (err) {
    if (!(err instanceof InvalidAuthRequestError)) throw err;
    // A decision like every other answer (decision id, log line), as the gRPC server does for a bad CheckRequest.
    const decision = denyPlain(randomUUID(), "none", "default", "INVALID_REQUEST", err.message);
    reply.log.warn({ decision_id: decision.decisionId, reason: err.message }, "invalid auth request");
    return send(reply, toHttpAnswer(decision));
  }
  return send(reply, toHttpAnswer(await check(facts)));
}

function send(reply: FastifyReply, out: HttpAnswer): FastifyReply {
  reply.code(out.status).headers(out.headers);
  // A Buffer, so fastify leaves content-type exactly "application/json" (docs/design.md), without "; charset".
  return out.body === undefined ? reply.send() : reply.send(Buffer.from(out.body, "utf8"));
}
