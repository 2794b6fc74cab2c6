import { afterEach, describe, expect, it, vi } from "vitest";
import { RetryQueue } from "../../../src/app/refund-retry.js";

afterEach(() => vi.useRealTimers());

function harness(opts: { maxQueued?: number; maxAgeMs?: number } = {}) {
  let now = 0;
  let up = false;
  const attempts: string[] = [];
  const abandoned: Array<[string, string]> = [];
  const queue = new RetryQueue<string>(
    { intervalMs: 1000, clock: () => now, maxAgeMs: opts.maxAgeMs ?? 60_000, maxQueued: opts.maxQueued ?? 100 },
    {
      attempt: async (item) => {
        attempts.push(item);
        return up;
      },
      abandon: (item, why) => abandoned.push([item, why]),
    },
  );
  return {
    queue,
    attempts,
    abandoned,
    advance: (ms: number) => {
      now += ms;
    },
    setUp: (v: boolean) => {
      up = v;
    },
  };
}

describe("refund retry queue", () => {
  it("retries every interval until an attempt succeeds; a failed attempt ends the round", async () => {
    vi.useFakeTimers();
    const h = harness();
    h.queue.add("a");
    h.queue.add("b");
    await vi.advanceTimersByTimeAsync(1000);
    expect(h.attempts).toEqual(["a"]); // the database is still away: b waits
    expect(h.queue.size()).toBe(2);
    h.setUp(true);
    await vi.advanceTimersByTimeAsync(1000);
    expect(h.attempts).toEqual(["a", "a", "b"]);
    expect(h.queue.size()).toBe(0);
    expect(h.abandoned).toEqual([]);
    h.queue.stop();
  });

  it("abandons items older than maxAgeMs, and items beyond maxQueued at once", async () => {
    vi.useFakeTimers();
    const h = harness({ maxQueued: 1, maxAgeMs: 5000 });
    h.queue.add("old");
    h.queue.add("overflow");
    expect(h.abandoned).toEqual([["overflow", "queue_full"]]);
    h.advance(6000);
    await vi.advanceTimersByTimeAsync(1000);
    expect(h.attempts).toEqual([]);
    expect(h.abandoned).toEqual([
      ["overflow", "queue_full"],
      ["old", "too_old"],
    ]);
    h.queue.stop();
  });

  it("stop() abandons what is queued and retries nothing more", async () => {
    vi.useFakeTimers();
    const h = harness();
    h.queue.add("x");
    h.queue.stop();
    expect(h.abandoned).toEqual([["x", "stopped"]]);
    await vi.advanceTimersByTimeAsync(5000);
    expect(h.attempts).toEqual([]);
  });
});
