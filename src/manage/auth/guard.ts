/**
 * Access control for /manage: every route declares `public`, `read` or `write`. `read` needs any
 * operator (admin or viewer), `write` needs an admin; a viewer writing gets 403 FORBIDDEN, a missing
 * or invalid token 401 UNAUTHORIZED.
 */
import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from "fastify";
import { sendError } from "../../transport/http/errors.js";
import type { Operator, TokenService } from "./tokens.js";

export type Access = "public" | "read" | "write";

const operators = new WeakMap<FastifyRequest, Operator>();

/** The operator authenticated for `req` by the guard, if any. */
export function operatorOf(req: FastifyRequest): Operator | undefined {
  return operators.get(req);
}

/** `Authorization: Bearer <jwt>`, or undefined. */
export function bearerToken(req: FastifyRequest): string | undefined {
  const auth = req.headers.authorization;
  const m = auth ? /^Bearer\s+(\S+)\s*$/i.exec(auth) : null;
  return m?.[1];
}

/** A refusal already sent on the reply (a FastifyReply is thenable, so it must not be resolved as a value). */
export interface Refused {
  readonly refused: true;
}

/**
 * Authenticates the request's bearer token, if it has one. @returns the operator, undefined without a
 * token, or `{ refused: true }` when a 401/403 has been sent
 */
export async function authenticate(
  tokens: TokenService,
  req: FastifyRequest,
  reply: FastifyReply,
): Promise<Operator | undefined | Refused> {
  const token = bearerToken(req);
  if (token === undefined) return undefined;
  const check = await tokens.verify(token);
  if (check.kind === "invalid") {
    req.log.info({ why: check.why }, "management token refused");
    sendError(reply.header("www-authenticate", 'Bearer error="invalid_token"'), "UNAUTHORIZED", "Invalid or expired token");
    return { refused: true };
  }
  if (check.kind === "no_role") {
    sendError(reply, "FORBIDDEN", `No gate402 role for ${check.subject}`);
    return { refused: true };
  }
  operators.set(req, check.operator);
  return check.operator;
}

/** preHandler enforcing `access` for one route. */
export function guard(tokens: TokenService, access: Access): preHandlerAsyncHookHandler {
  return async (req, reply) => {
    if (access === "public") return;
    const op = await authenticate(tokens, req, reply);
    if (op === undefined) {
      const message = "Send Authorization: Bearer <token> (POST /manage/auth/login)";
      return sendError(reply.header("www-authenticate", "Bearer"), "UNAUTHORIZED", message);
    }
    if ("refused" in op) return reply;
    if (access === "write" && op.role !== "admin") return sendError(reply, "FORBIDDEN", "This action needs the admin role");
  };
}
