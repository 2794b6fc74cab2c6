/**
 * Management API bearer tokens (jose). Two kinds are accepted:
 * - our own: HS256 signed with JWT_SECRET, iss "gate402", aud "gate402-manage", 15 minutes, claims
 *   `sub` (username), `role` and `jti` (token id, for logout and revocation: revocations.ts). There is no
 *   refresh token: log in again before `exp` (tokens of releases before jti existed expire within 15 min);
 * - optional OIDC tokens from GATEWAY_OIDC_ISSUER, verified against GATEWAY_OIDC_JWKS_URL (asymmetric
 *   algorithms only), role from the `gate402_role` claim or a `roles` array.
 * The unverified `iss` only chooses the verifier; each verifier pins its own algorithm list, so an
 * `alg: none` token or an HS256 token "signed" with a public key never verifies.
 */
import { randomUUID } from "node:crypto";
import { createRemoteJWKSet, decodeJwt, jwtVerify, SignJWT, type JWTPayload } from "jose";

export type Role = "admin" | "viewer";

/** The authenticated caller of a /manage request. */
export interface Operator {
  /** username for local tokens, the OIDC `sub` otherwise */
  readonly subject: string;
  readonly role: Role;
  readonly via: "local" | "oidc";
  /** local tokens: the token id (`jti`) and expiry (unix seconds), for logout */
  readonly token?: { readonly id: string; readonly expiresAt: number };
}

/** The claims a revocation can match: the token id, the operator, and when the token was issued. */
export interface RevocationClaims {
  readonly jti?: string;
  readonly sub: string;
  /** unix seconds */
  readonly iat: number;
}

export type TokenCheck =
  | { readonly kind: "ok"; readonly operator: Operator }
  | { readonly kind: "invalid"; readonly why: string }
  /** valid OIDC token without a gate402 role: authenticated, but allowed nothing */
  | { readonly kind: "no_role"; readonly subject: string };

export const TOKEN_ISSUER = "gate402";
export const TOKEN_AUDIENCE = "gate402-manage";
/** seconds */
export const TOKEN_TTL_SECONDS = 15 * 60;
const OIDC_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"];

export interface TokenOptions {
  readonly jwtSecret: string;
  readonly oidc?: { readonly issuer: string; readonly audience: string; readonly jwksUrl: string };
  /** unix ms; injected by tests */
  readonly clock?: () => number;
  /** true for a local token that was revoked (logout, revocation, operator disabled or deleted) */
  readonly isRevoked?: (claims: RevocationClaims) => boolean;
}

export interface TokenService {
  /** Signs a local token. @returns the JWT and its expiry (unix seconds) */
  issue(username: string, role: Role): Promise<{ token: string; tokenId: string; expiresAt: number }>;
  /** Verifies a bearer token of either kind. Never throws. */
  verify(token: string): Promise<TokenCheck>;
}

function roleOf(payload: JWTPayload): Role | null {
  const single = payload["gate402_role"];
  if (single === "admin" || single === "viewer") return single;
  const roles = payload["roles"];
  if (Array.isArray(roles)) {
    if (roles.includes("admin")) return "admin";
    if (roles.includes("viewer")) return "viewer";
  }
  return null;
}

/** Builds the token service; the JWKS is fetched lazily and cached by jose. */
export function createTokenService(opts: TokenOptions): TokenService {
  const secret = new TextEncoder().encode(opts.jwtSecret);
  const now = () => Math.floor((opts.clock ?? Date.now)() / 1000);
  const jwks = opts.oidc ? createRemoteJWKSet(new URL(opts.oidc.jwksUrl), { timeoutDuration: 5000 }) : undefined;
  const common = { currentDate: undefined as Date | undefined, clockTolerance: 5, requiredClaims: ["exp", "sub"] };

  async function verifyLocal(token: string): Promise<TokenCheck> {
    const { payload } = await jwtVerify(token, secret, {
      ...common,
      currentDate: new Date(now() * 1000),
      algorithms: ["HS256"],
      issuer: TOKEN_ISSUER,
      audience: TOKEN_AUDIENCE,
      maxTokenAge: TOKEN_TTL_SECONDS + 5,
    });
    const role = payload["role"];
    if (role !== "admin" && role !== "viewer") return { kind: "invalid", why: "token has no valid role" };
    const jti = typeof payload.jti === "string" ? payload.jti : undefined;
    if (opts.isRevoked?.({ jti, sub: payload.sub!, iat: payload.iat ?? 0 })) return { kind: "invalid", why: "token revoked" };
    const issued = jti === undefined ? undefined : { id: jti, expiresAt: payload.exp! };
    return { kind: "ok", operator: { subject: payload.sub!, role, via: "local", ...(issued ? { token: issued } : {}) } };
  }

  async function verifyOidc(token: string, oidc: NonNullable<TokenOptions["oidc"]>): Promise<TokenCheck> {
    const { payload } = await jwtVerify(token, jwks!, {
      ...common,
      currentDate: new Date(now() * 1000),
      algorithms: OIDC_ALGORITHMS,
      issuer: oidc.issuer,
      audience: oidc.audience,
    });
    const role = roleOf(payload);
    return role ? { kind: "ok", operator: { subject: payload.sub!, role, via: "oidc" } } : { kind: "no_role", subject: payload.sub! };
  }

  return {
    async issue(username, role) {
      const iat = now();
      const tokenId = randomUUID();
      const token = await new SignJWT({ role })
        .setProtectedHeader({ alg: "HS256", typ: "JWT" })
        .setIssuer(TOKEN_ISSUER)
        .setAudience(TOKEN_AUDIENCE)
        .setSubject(username)
        .setJti(tokenId)
        .setIssuedAt(iat)
        .setNotBefore(iat)
        .setExpirationTime(iat + TOKEN_TTL_SECONDS)
        .sign(secret);
      return { token, tokenId, expiresAt: iat + TOKEN_TTL_SECONDS };
    },
    async verify(token) {
      try {
        const iss = decodeJwt(token).iss;
        if (iss === TOKEN_ISSUER) return await verifyLocal(token);
        if (opts.oidc && iss === opts.oidc.issuer) return await verifyOidc(token, opts.oidc);
        return { kind: "invalid", why: "unknown token issuer" };
      } catch (err) {
        return { kind: "invalid", why: (err as { code?: string }).code ?? (err as Error).message };
      }
    },
  };
}
