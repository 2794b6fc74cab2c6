import { createHash } from "node:crypto";

/**
 * Prepaid credentials (docs/design.md): `X-Client-Id` plus `X-Client-Key` or `Authorization: Bearer <key>`.
 * ClawPurse Gateway trusted a bare X-Client-Id; gate402 requires the secret key with it.
 */
export const CREDENTIAL_HEADERS = ["x-client-id", "x-client-key"] as const;

export type CredentialParse =
  | { readonly kind: "none" }
  | { readonly kind: "credentials"; readonly clientId: string; readonly keyHash: string; readonly viaAuthorization: boolean }
  | { readonly kind: "invalid"; readonly message: string };

const CLIENT_ID_RE = /^[A-Za-z0-9_-]{1,64}$/;
const KEY_RE = /^[A-Za-z0-9_-]{16,128}$/;

/** Hex SHA-256 of a client key: what the store keeps and compares (keys are 256-bit random, no KDF needed). */
export function hashClientKey(key: string): string {
  return createHash("sha256").update(key).digest("hex");
}

/** Reads prepaid credentials from lowercased headers. Never throws. */
export function parseCredentials(headers: Readonly<Record<string, string>>): CredentialParse {
  const clientId = headers["x-client-id"]?.trim();
  if (clientId === undefined) return { kind: "none" };
  if (!CLIENT_ID_RE.test(clientId)) return { kind: "invalid", message: "X-Client-Id must be 1-64 characters [A-Za-z0-9_-]" };
  const auth = headers["authorization"];
  const bearer = auth && /^Bearer\s+/i.test(auth) ? auth.replace(/^Bearer\s+/i, "").trim() : undefined;
  const key = headers["x-client-key"]?.trim() ?? bearer;
  if (key === undefined) return { kind: "invalid", message: "X-Client-Id needs its key: X-Client-Key or Authorization: Bearer <key>" };
  if (!KEY_RE.test(key)) return { kind: "invalid", message: "client key is malformed" };
  return { kind: "credentials", clientId, keyHash: hashClientKey(key), viaAuthorization: headers["x-client-key"] === undefined };
}
