/**
 * Per-client token buckets that protect the chain RPC from proofs made up to force lookups (random tx
 * hashes, invoice-only searches). In memory, per process: each replica limits on its own.
 *
 * The key is the client IP from RequestFacts.sourceAddress. Under Envoy that is Envoy's view of the
 * peer (`attributes.source`): behind another proxy or load balancer every client shares that proxy's
 * address and so one bucket. Operators should rely on Envoy's own rate-limit filter (local or global)
 * for volumetric abuse; this limiter only bounds how often one source can make gate402 call the chain.
 *
 * Pure and deterministic: time comes from the injected clock, no timers; memory is bounded by `maxKeys`.
 */

/** Result of asking for one token. */
export type TakeResult =
  | { readonly ok: true }
  /** `retryAfterSeconds`: whole seconds until a token is available, ≥ 1 (the Retry-After value) */
  | { readonly ok: false; readonly retryAfterSeconds: number };

export interface RateLimiter {
  /** Takes one token from `key`'s bucket when it has one; a refusal takes nothing. */
  take(key: string): TakeResult;
  /** number of keys currently tracked (≤ maxKeys) */
  readonly size: number;
}

export interface RateLimitOptions {
  /** refill rate, tokens per second (may be fractional); 0 disables the limiter */
  readonly refillPerSecond: number;
  /** bucket capacity, tokens (the burst a fresh client gets); 0 disables the limiter */
  readonly capacity: number;
  /** most keys tracked at once; the least recently used is forgotten beyond it. Default 10,000 */
  readonly maxKeys?: number;
  /** unix ms */
  readonly clock: () => number;
}

export const DEFAULT_MAX_KEYS = 10_000;

/** The key used for every request whose source address is unknown: they share one bucket. */
export const UNKNOWN_SOURCE = "unknown";

// Floating-point refill (elapsed × rate) can land a hair under a whole token at the exact moment
// Retry-After promised one; this tolerance keeps that promise.
const EPSILON = 1e-9;

interface Bucket {
  /** tokens, fractional */
  tokens: number;
  /** unix ms of the last refill */
  atMs: number;
}

const ALWAYS: RateLimiter = { take: () => ({ ok: true }), size: 0 };

/** Builds a limiter; with a 0 rate or capacity it allows everything and tracks nothing. */
export function createRateLimiter(o: RateLimitOptions): RateLimiter {
  if (o.refillPerSecond <= 0 || o.capacity <= 0) return ALWAYS;
  const maxKeys = Math.max(1, o.maxKeys ?? DEFAULT_MAX_KEYS);
  // Map iteration order is insertion order: re-inserting on every use keeps the least recently used first.
  const buckets = new Map<string, Bucket>();
  return {
    take(key) {
      const now = o.clock();
      const b = buckets.get(key) ?? { tokens: o.capacity, atMs: now };
      // A clock stepping backwards must not drain or overfill the bucket.
      const elapsedMs = Math.max(0, now - b.atMs);
      b.tokens = Math.min(o.capacity, b.tokens + (elapsedMs * o.refillPerSecond) / 1000);
      b.atMs = now;
      buckets.delete(key);
      buckets.set(key, b);
      if (buckets.size > maxKeys) buckets.delete(buckets.keys().next().value as string);
      if (b.tokens >= 1 - EPSILON) {
        b.tokens = Math.max(0, b.tokens - 1);
        return { ok: true };
      }
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - b.tokens) / o.refillPerSecond)) };
    },
    get size() {
      return buckets.size;
    },
  };
}

/**
 * The limiter key for a source address: the IP without the port.
 * @param sourceAddress "ip", "ip:port", "[ipv6]:port" or a bare IPv6 address; undefined when unknown
 * @returns e.g. "10.0.0.7", "2001:db8::17"; UNKNOWN_SOURCE when absent
 */
export function clientKey(sourceAddress: string | undefined): string {
  const a = sourceAddress?.trim().toLowerCase();
  if (!a) return UNKNOWN_SOURCE;
  if (a.startsWith("[")) {
    const end = a.indexOf("]");
    return end > 1 ? a.slice(1, end) : UNKNOWN_SOURCE;
  }
  const colon = a.indexOf(":");
  // Exactly one colon is "ipv4:port"; more is a bare IPv6 address, which has no port to strip.
  return colon > 0 && colon === a.lastIndexOf(":") ? a.slice(0, colon) : a;
}
