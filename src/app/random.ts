import { randomBytes } from "node:crypto";

/**
 * URL-safe random ids drawn from a pooled CSPRNG buffer: one randomBytes call per ~455 invoices
 * instead of one per 402 (the syscall showed up in the 402 path's profile).
 * @param bytes entropy per id (9 bytes → 12 base64url characters)
 */
export function pooledNonce(bytes = 9, poolSize = 4096): () => string {
  let pool = randomBytes(poolSize);
  let at = 0;
  return () => {
    if (at + bytes > pool.length) {
      pool = randomBytes(poolSize);
      at = 0;
    }
    const id = pool.toString("base64url", at, at + bytes);
    at += bytes;
    return id;
  };
}
