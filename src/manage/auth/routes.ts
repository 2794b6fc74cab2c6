/**
 * POST /manage/auth/login (throttled: throttle.ts), /auth/logout, /auth/revoke and /auth/register.
 * Register is open to exactly two callers: the bearer of GATEWAY_ADMIN_BOOTSTRAP_TOKEN while no admin
 * exists (creates the first admin, once), and an admin (creates an admin or a viewer).
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { sendError } from "../../transport/http/errors.js";
import type { ManageDeps } from "../deps.js";
import { sendInvalid } from "../http.js";
import { authenticate, guard, operatorOf } from "./guard.js";
import { createBootstrapAdmin, createOperator, findOperator, type CreateOutcome } from "./operators.js";
import { addressKey, operatorKey } from "./throttle.js";
import { decoyHash, hashPassword, verifyPassword } from "./passwords.js";
import { TOKEN_TTL_SECONDS } from "./tokens.js";

export const loginBody = z
  .object({
    username: z.string().min(1).max(64),
    password: z.string().min(1).max(1024),
  })
  .strict();

export const registerBody = z
  .object({
    username: z.string().regex(/^[a-z0-9][a-z0-9._@-]{2,63}$/, "3-64 characters [a-z0-9._@-], starting with a letter or digit"),
    password: z.string().min(12, "at least 12 characters").max(1024),
    role: z.enum(["admin", "viewer"]).optional(),
    bootstrapToken: z.string().max(1024).optional(),
  })
  .strict();

export const revokeBody = z
  .object({
    /** the token id (`jti` claim) to revoke */
    jti: z.string().min(1).max(128),
  })
  .strict();

/** Constant-time string equality: both sides are hashed first so their lengths never leak. */
export function safeEqual(a: string, b: string): boolean {
  const h = (s: string) => createHash("sha256").update(s, "utf8").digest();
  return timingSafeEqual(h(a), h(b));
}

function created(reply: FastifyReply, outcome: CreateOutcome): FastifyReply {
  if (outcome.kind === "exists") return sendError(reply, "OPERATOR_EXISTS", "This username is taken");
  if (outcome.kind === "bootstrap_closed") {
    return sendError(reply, "BOOTSTRAP_CLOSED", "An admin exists already: an admin must register new operators");
  }
  const o = outcome.operator;
  return reply.code(201).send({ username: o.username, role: o.role, createdAt: o.createdAt.toISOString(), createdBy: o.createdBy });
}

async function register(deps: ManageDeps, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  const parsed = registerBody.safeParse(req.body);
  if (!parsed.success) return sendInvalid(reply, parsed.error);
  const { username, password, role } = parsed.data;
  const op = await authenticate(deps.tokens, req, reply);
  if (op !== undefined) {
    if ("refused" in op) return reply;
    if (op.role !== "admin") return sendError(reply, "FORBIDDEN", "Only an admin registers operators");
    const outcome = await createOperator(deps.pool, username, await hashPassword(password), role ?? "viewer", op.subject);
    if (outcome.kind === "created") deps.log.info({ username, role: outcome.operator.role, by: op.subject }, "operator registered");
    return created(reply, outcome);
  }
  const header = req.headers["x-bootstrap-token"];
  const presented = typeof header === "string" ? header : parsed.data.bootstrapToken;
  if (presented === undefined) {
    return sendError(reply, "UNAUTHORIZED", "Send an admin bearer token, or the bootstrap token for the first admin");
  }
  const expected = deps.config.adminBootstrapToken;
  if (expected === undefined) return sendError(reply, "BOOTSTRAP_DISABLED", "GATEWAY_ADMIN_BOOTSTRAP_TOKEN is not set");
  if (!safeEqual(presented, expected)) return sendError(reply, "UNAUTHORIZED", "Wrong bootstrap token");
  if (role === "viewer") return sendError(reply, "INVALID_REQUEST", "role: the bootstrap registers the first admin");
  const outcome = await createBootstrapAdmin(deps.pool, username, await hashPassword(password));
  if (outcome.kind === "created") deps.log.warn({ username }, "first admin registered with the bootstrap token");
  return created(reply, outcome);
}

/** Registers the auth routes on the /manage plugin. */
export function authRoutes(app: FastifyInstance, deps: ManageDeps): void {
  const limits = deps.config.manageAuth;
  const locked = (reply: FastifyReply, seconds: number) =>
    sendError(reply.header("retry-after", String(seconds)), "LOGIN_LOCKED", `Too many failed logins: try again in ${seconds} s`);
  app.post("/auth/login", { preHandler: guard(deps.tokens, "public") }, async (req, reply) => {
    const parsed = loginBody.safeParse(req.body);
    if (!parsed.success) return sendInvalid(reply, parsed.error);
    const keys = [operatorKey(parsed.data.username, limits.maxFailures), addressKey(req.ip, limits.maxFailuresPerAddress)];
    // While locked the password is not even checked: the right one is refused too, so guessing gains nothing.
    const wait = await deps.throttle.lockedFor(keys);
    if (wait > 0) return locked(reply, wait);
    // Counted before the check, so parallel guesses cannot slip past the limit (throttle.ts).
    const attempt = await deps.throttle.attempt(keys);
    if (attempt.kind === "locked") return locked(reply, attempt.wait);
    const operator = await findOperator(deps.pool, parsed.data.username);
    // Unknown users cost one scrypt too, so response time does not tell which usernames exist.
    const ok = await verifyPassword(parsed.data.password, operator?.passwordHash ?? (await decoyHash()));
    // A disabled operator gets the same answer as a wrong password (it does not confirm the password).
    if (!operator || !ok || operator.disabledAt !== null) {
      if (attempt.lockout > 0) {
        deps.log.warn(
          { username: parsed.data.username, address: req.ip, seconds: attempt.lockout },
          "management login locked after failed attempts",
        );
        return locked(reply, attempt.lockout);
      }
      return sendError(reply, "INVALID_CREDENTIALS", "Unknown username or wrong password");
    }
    await deps.throttle.reset(keys);
    const { token, tokenId, expiresAt } = await deps.tokens.issue(operator.username, operator.role);
    return {
      token,
      tokenType: "Bearer",
      tokenId,
      expiresIn: TOKEN_TTL_SECONDS,
      expiresAt: new Date(expiresAt * 1000).toISOString(),
      role: operator.role,
    };
  });
  app.post("/auth/logout", { preHandler: guard(deps.tokens, "read") }, async (req, reply) => {
    const op = operatorOf(req)!;
    if (!op.token) {
      const message = "Only gate402 tokens with a token id can be logged out (OIDC tokens: log out at the identity provider)";
      return sendError(reply, "NOT_REVOCABLE", message);
    }
    await deps.revocations.revokeToken(op.token.id, op.token.expiresAt, op.subject, "logout");
    deps.log.info({ username: op.subject, jti: op.token.id }, "operator logged out");
    return reply.code(204).send();
  });
  app.post("/auth/revoke", { preHandler: guard(deps.tokens, "write") }, async (req, reply) => {
    const parsed = revokeBody.safeParse(req.body);
    if (!parsed.success) return sendInvalid(reply, parsed.error);
    const op = operatorOf(req)!;
    // The token's expiry is unknown here: keep the revocation for a full token lifetime from now.
    await deps.revocations.revokeToken(parsed.data.jti, Math.floor(Date.now() / 1000) + TOKEN_TTL_SECONDS, op.subject, "revoked");
    deps.log.warn({ jti: parsed.data.jti, by: op.subject }, "management token revoked");
    return reply.code(204).send();
  });
  app.post("/auth/register", { preHandler: guard(deps.tokens, "public") }, (req, reply) => register(deps, req, reply));
}
