import { allowPass, denyWithInvoice } from "../answers.js";
import type { CoreDeps } from "../context.js";
import type { Decision, PayMethod } from "../decision.js";
import { routeOffers } from "../offers.js";
import type { ReasonCode } from "../reasons.js";
import type { RequestScope } from "../request-scope.js";
import { PASS_TOKEN_TYPE } from "./tokens.js";

/** Request (and purchase response) header carrying a pass token. */
export const PASS_HEADER = "x-payment-pass";

export interface PresentedPass {
  readonly token: string;
  /** came as `Authorization: Bearer` (strip that header too) */
  readonly viaAuthorization: boolean;
}

const JWT_RE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** The JOSE header's `typ`, read without verifying (only to tell our passes from the upstream API's own bearer tokens). */
function tokenType(token: string): unknown {
  try {
    return (JSON.parse(Buffer.from(token.slice(0, token.indexOf(".")), "base64url").toString("utf8")) as { typ?: unknown }).typ;
  } catch {
    return undefined;
  }
}

/**
 * The pass a request presents: `X-Payment-Pass`, or `Authorization: Bearer <jwt>` whose header says
 * it is a gate402 pass (a bearer JWT of the upstream API, or a prepaid key with X-Client-Id, is left alone).
 */
export function presentedPass(headers: Readonly<Record<string, string>>): PresentedPass | undefined {
  const direct = headers[PASS_HEADER];
  if (direct !== undefined) return { token: direct.trim(), viaAuthorization: false };
  const auth = headers["authorization"];
  if (auth === undefined || headers["x-client-id"] !== undefined || !/^Bearer\s+/i.test(auth)) return undefined;
  const token = auth.replace(/^Bearer\s+/i, "").trim();
  return JWT_RE.test(token) && tokenType(token) === PASS_TOKEN_TYPE ? { token, viaAuthorization: true } : undefined;
}

/**
 * Decides a request that carries a pass, in memory only (signature, scope, expiry, revoked list):
 * allow with method "pass", or a 402 with the route's offers — for an expired pass, the pass offers are
 * marked as its renewal. A malformed or foreign-signed token is a 400 INVALID_PROOF with the offers.
 */
export async function decidePass(
  deps: CoreDeps,
  passes: NonNullable<CoreDeps["passes"]>,
  scope: RequestScope,
  pass: PresentedPass,
): Promise<Decision> {
  const nowSec = Math.floor(deps.clock() / 1000);
  const verdict = await passes.tokens.verify(pass.token, nowSec);
  const report = (result: "valid" | "expired" | "revoked" | "invalid" | "wrong_scope") => deps.events.passCheck?.({ result });
  const method: PayMethod = "pass";
  const refuse = (reason: ReasonCode, detail: string, renewal = false) => denyWithInvoice(deps, scope, { method, reason, detail, renewal });
  if (verdict.kind === "invalid") {
    report("invalid");
    return refuse("INVALID_PROOF", verdict.message);
  }
  const { claims } = verdict;
  const routeScope = routeOffers(scope.facts, scope.price).scope;
  if (claims.scope !== routeScope) {
    report("wrong_scope");
    return refuse("WRONG_RESOURCE", `Pass is for scope "${claims.scope}", not this route's`);
  }
  if (passes.revoked.isRevoked(claims.jti)) {
    report("revoked");
    return refuse("PASS_REVOKED", "This pass was revoked");
  }
  if (verdict.kind === "expired") {
    report("expired");
    return refuse("PASS_EXPIRED", `Pass expired at ${new Date(claims.exp * 1000).toISOString()}`, true);
  }
  report("valid");
  const removed = [...scope.strip, PASS_HEADER, ...(pass.viaAuthorization ? ["authorization"] : [])];
  return allowPass({ ...scope, strip: [...new Set(removed)] }, { payer: claims.payer });
}
