import { describe, expect, it } from "vitest";
import { clientKey, createRateLimiter, DEFAULT_MAX_KEYS, UNKNOWN_SOURCE, type RateLimitOptions } from "../../../src/core/rate-limit.js";

/** A limiter over a clock the test moves by hand (unix ms). */
function build(over: Partial<RateLimitOptions> = {}) {
  let now = Date.UTC(2026, 10, 21, 12, 0, 0);
  const limiter = createRateLimiter({ refillPerSecond: 1, capacity: 3, clock: () => now, ...over });
  const takeN = (key: string, n: number) => Array.from({ length: n }, () => limiter.take(key).ok);
  return { limiter, takeN, advance: (ms: number) => void (now += ms) };
}

describe("token bucket", () => {
  it("a fresh client gets the full burst at once, then is refused with Retry-After ≥ 1 s", () => {
    const { limiter, takeN } = build();
    expect(takeN("10.0.0.7", 3)).toEqual([true, true, true]);
    expect(limiter.take("10.0.0.7")).toEqual({ ok: false, retryAfterSeconds: 1 });
  });

  it("tokens come back at the configured rate, and waiting Retry-After seconds always earns one", () => {
    const { limiter, takeN, advance } = build({ refillPerSecond: 0.5 });
    takeN("a", 3);
    const refused = limiter.take("a");
    expect(refused).toEqual({ ok: false, retryAfterSeconds: 2 });
    advance(1_999);
    expect(limiter.take("a").ok).toBe(false);
    advance(1);
    expect(limiter.take("a").ok).toBe(true);
    expect(limiter.take("a").ok).toBe(false);
  });

  it("Retry-After counts whole seconds up from the missing fraction of a token", () => {
    const { limiter, takeN, advance } = build({ refillPerSecond: 1 });
    takeN("a", 3);
    advance(300);
    expect(limiter.take("a")).toEqual({ ok: false, retryAfterSeconds: 1 });
    const slow = build({ refillPerSecond: 0.25, capacity: 1 });
    slow.takeN("b", 1);
    slow.advance(1_000);
    expect(slow.limiter.take("b")).toEqual({ ok: false, retryAfterSeconds: 3 });
  });

  it("an idle client refills to the burst and no further", () => {
    const { takeN, advance } = build({ refillPerSecond: 20, capacity: 3 });
    takeN("a", 3);
    advance(60_000);
    expect(takeN("a", 4)).toEqual([true, true, true, false]);
  });

  it("a refused request takes nothing: steady retries at the refill rate keep succeeding", () => {
    const { limiter, takeN, advance } = build({ refillPerSecond: 20, capacity: 1 });
    takeN("a", 1);
    for (let i = 0; i < 100; i++) {
      expect(limiter.take("a").ok).toBe(false);
      advance(50);
      expect(limiter.take("a").ok).toBe(true);
    }
  });

  it("a clock stepping backwards neither refills nor breaks the bucket", () => {
    const { limiter, takeN, advance } = build();
    takeN("a", 3);
    advance(-60_000);
    expect(limiter.take("a").ok).toBe(false);
    advance(61_000);
    expect(limiter.take("a").ok).toBe(true);
  });

  it("clients are isolated: one exhausted key leaves every other key its full burst", () => {
    const { limiter, takeN } = build();
    takeN("10.0.0.7", 3);
    expect(limiter.take("10.0.0.7").ok).toBe(false);
    expect(takeN("10.0.0.8", 3)).toEqual([true, true, true]);
    expect(takeN(UNKNOWN_SOURCE, 3)).toEqual([true, true, true]);
  });
});

describe("memory bound", () => {
  it("never tracks more than maxKeys keys, however many sources appear", () => {
    const { limiter } = build({ maxKeys: 100 });
    for (let i = 0; i < 10_000; i++) limiter.take(`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`);
    expect(limiter.size).toBe(100);
    expect(DEFAULT_MAX_KEYS).toBe(10_000);
  });

  it("evicts the least recently used key: an active limited client stays limited", () => {
    const { limiter, takeN } = build({ maxKeys: 3 });
    takeN("busy", 3);
    takeN("idle", 3);
    for (const k of ["x", "y"]) {
      expect(limiter.take("busy").ok).toBe(false); // touched, so it is the most recent again
      limiter.take(k);
    }
    expect(limiter.size).toBe(3);
    expect(limiter.take("busy").ok).toBe(false);
    expect(takeN("idle", 3)).toEqual([true, true, true]); // forgotten: starts again from a full bucket
  });
});

describe("disabled", () => {
  it.each([
    { refillPerSecond: 0, capacity: 40 },
    { refillPerSecond: 20, capacity: 0 },
  ])("a 0 setting ($refillPerSecond/s, burst $capacity) allows everything and tracks nothing", (over) => {
    const { limiter, takeN } = build(over);
    expect(takeN("a", 1_000).every(Boolean)).toBe(true);
    expect(limiter.size).toBe(0);
  });
});

describe("clientKey", () => {
  it.each([
    ["10.0.0.7:51234", "10.0.0.7"],
    ["10.0.0.7", "10.0.0.7"],
    ["[2001:DB8::17]:50412", "2001:db8::17"],
    ["[::1]:80", "::1"],
    ["2001:db8::17", "2001:db8::17"],
    [undefined, UNKNOWN_SOURCE],
    ["", UNKNOWN_SOURCE],
    ["[]:80", UNKNOWN_SOURCE],
  ])("%s is keyed as %s (the IP without the port)", (source, key) => {
    expect(clientKey(source)).toBe(key);
  });

  it("two connections from one IP share one key", () => {
    expect(clientKey("203.0.113.9:40001")).toBe(clientKey("203.0.113.9:40002"));
  });
});
