import { errors, jwtVerify, SignJWT, type JWTPayload } from "jose";

/**
 * Pass tokens (docs/design.md "Offers: bundles and passes"): a JWT (HS256, jose) with `scope`, `exp`, `payer` (also
 * `sub`) and `jti` = the invoice id that bought it; the protected header names the signing key
 * (`kid`) and the type `gate402-pass+jwt`. Keys rotate: one key signs, every listed key verifies
 * (GATEWAY_PASS_KEYS). Verifying is pure CPU: no database, no chain.
 */
export const PASS_TOKEN_TYPE = "gate402-pass+jwt";
const ISSUER = "gate402";

export interface PassKey {
  /** key id, in the token header */
  readonly kid: string;
  /** HMAC-SHA256 key bytes (≥ 32) */
  readonly secret: Uint8Array;
}

/** The signing key and every key accepted for verification (the signing key included). */
export interface PassKeyring {
  readonly signing: PassKey;
  readonly verifying: readonly PassKey[];
}

export interface PassClaims {
  readonly scope: string;
  /** bech32 payer of the pass invoice */
  readonly payer: string;
  /** invoice id that bought the pass */
  readonly jti: string;
  /** expiry, unix seconds */
  readonly exp: number;
}

export type PassVerdict =
  | { readonly kind: "valid"; readonly claims: PassClaims }
  | { readonly kind: "expired"; readonly claims: PassClaims }
  | { readonly kind: "invalid"; readonly message: string };

export interface PassTokens {
  /** Signs a pass with the signing key. @param iat unix seconds */
  issue(claims: PassClaims, iat: number): Promise<string>;
  /** Checks signature, type, issuer and claims, then expiry against `nowSec`. Never throws. */
  verify(token: string, nowSec: number): Promise<PassVerdict>;
}

const CACHE_MAX = 10_000;
const MAX_TOKEN_CHARS = 2048;

function claimsOf(p: JWTPayload): PassClaims | null {
  const { scope, payer, jti, exp } = p as Record<string, unknown>;
  if (typeof scope !== "string" || typeof payer !== "string" || typeof jti !== "string" || typeof exp !== "number") return null;
  return { scope, payer, jti, exp };
}

/** Pass signer/verifier over a keyring; verified tokens are remembered (bounded) so a repeat costs a map lookup. */
export function createPassTokens(ring: PassKeyring): PassTokens {
  const keys = new Map(ring.verifying.map((k) => [k.kid, k.secret]));
  keys.set(ring.signing.kid, ring.signing.secret);
  // Only signature-checked claims enter; expiry and revocation are checked on every use.
  const verified = new Map<string, PassClaims>();
  const judge = (claims: PassClaims, nowSec: number): PassVerdict =>
    nowSec >= claims.exp ? { kind: "expired", claims } : { kind: "valid", claims };
  return {
    issue(c, iat) {
      return new SignJWT({ scope: c.scope, payer: c.payer })
        .setProtectedHeader({ alg: "HS256", kid: ring.signing.kid, typ: PASS_TOKEN_TYPE })
        .setIssuer(ISSUER)
        .setSubject(c.payer)
        .setJti(c.jti)
        .setIssuedAt(iat)
        .setExpirationTime(c.exp)
        .sign(ring.signing.secret);
    },
    async verify(token, nowSec) {
      const hit = verified.get(token);
      if (hit) return judge(hit, nowSec);
      if (token.length > MAX_TOKEN_CHARS) return { kind: "invalid", message: "pass token too long" };
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(
          token,
          (header) => {
            const key = header.kid === undefined ? undefined : keys.get(header.kid);
            if (!key) throw new errors.JWKSNoMatchingKey("unknown pass key id");
            return key;
          },
          {
            algorithms: ["HS256"],
            typ: PASS_TOKEN_TYPE,
            issuer: ISSUER,
            requiredClaims: ["jti", "exp"],
            currentDate: new Date(nowSec * 1000),
          },
        ));
      } catch (err) {
        // The signature was checked before the claims: an expired token's payload is authentic.
        if (err instanceof errors.JWTExpired) {
          const claims = claimsOf(err.payload);
          return claims ? { kind: "expired", claims } : { kind: "invalid", message: "pass token lacks scope, payer or jti" };
        }
        return {
          kind: "invalid",
          message:
            err instanceof errors.JWKSNoMatchingKey ? "pass token signed by an unknown key" : "pass token signature or claims invalid",
        };
      }
      const claims = claimsOf(payload);
      if (!claims) return { kind: "invalid", message: "pass token lacks scope, payer or jti" };
      if (verified.size >= CACHE_MAX) verified.clear();
      verified.set(token, claims);
      return judge(claims, nowSec);
    },
  };
}
