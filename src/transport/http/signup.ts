/**
 * Who may create a prepaid account over the public API (`POST /prepaid/accounts`),
 * GATEWAY_PREPAID_SIGNUP:
 * - `open`: anyone, but each client IP draws from a token bucket (GATEWAY_PREPAID_SIGNUP_PER_HOUR,
 *   _BURST) → `429 RATE_LIMITED` + `Retry-After` when empty;
 * - `token`: only with `Authorization: Bearer <GATEWAY_PREPAID_SIGNUP_TOKEN>` → else `401`;
 * - `closed`: never → `403`; operators create accounts with the management API.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyRequest } from "fastify";
import type { PrepaidSignupConfig } from "../../config/load.js";
import { apiError, type ApiError } from "../../core/catalogue.js";
import { clientKey, createRateLimiter } from "../../core/rate-limit.js";

/** Why a sign-up is refused: the HTTP answer (src/core/catalogue.ts API_ERRORS). */
export interface SignupRefusal {
  readonly answer: ApiError<"SIGNUP_CLOSED" | "INVALID_SIGNUP_TOKEN" | "RATE_LIMITED">;
  readonly retryAfterSeconds?: number;
}

/** Decides whether this request may create an account; undefined when it may. */
export type SignupGuard = (req: FastifyRequest) => SignupRefusal | undefined;

const sha256 = (s: string) => createHash("sha256").update(s).digest();

/**
 * The client IP a sign-up is counted against: the rightmost X-Forwarded-For entry (appended by the
 * proxy nearest to us, as for /auth/forward), else the socket peer. Behind the documented proxy
 * configs clients cannot reach gate402's HTTP port directly, so they cannot pick this value.
 */
function clientIp(req: FastifyRequest): string {
  const xff = req.headers["x-forwarded-for"];
  const list = Array.isArray(xff) ? xff.join(",") : xff;
  const last = list?.split(",").at(-1)?.trim();
  return clientKey(last ? last.slice(0, 128) : req.socket.remoteAddress);
}

/** @param clock unix ms */
export function signupGuard(config: PrepaidSignupConfig, clock: () => number): SignupGuard {
  if (config.mode === "closed") {
    return () => ({ answer: apiError("SIGNUP_CLOSED", "Account sign-up is closed here; ask the operator for an account") });
  }
  if (config.mode === "token") {
    const expected = sha256(config.token ?? "");
    return (req) => {
      const auth = req.headers.authorization ?? "";
      const given = /^Bearer\s+/i.test(auth) ? auth.replace(/^Bearer\s+/i, "").trim() : "";
      // Compare digests: constant time, whatever the lengths.
      if (given && timingSafeEqual(sha256(given), expected)) return undefined;
      return { answer: apiError("INVALID_SIGNUP_TOKEN", "Sign-up needs Authorization: Bearer <sign-up token>") };
    };
  }
  const limiter = createRateLimiter({ refillPerSecond: config.perHour / 3600, capacity: config.burst, clock });
  return (req) => {
    const taken = limiter.take(clientIp(req));
    if (taken.ok) return undefined;
    const message = `Too many accounts created from this address; retry in ${taken.retryAfterSeconds} s`;
    return { answer: apiError("RATE_LIMITED", message), retryAfterSeconds: taken.retryAfterSeconds };
  };
}
