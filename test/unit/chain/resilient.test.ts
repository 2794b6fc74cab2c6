import { describe, expect, it } from "vitest";
import { ResilientChain } from "../../../src/chain/resilient.js";
import type { ChainPort, ChainTx } from "../../../src/ports/chain.js";
import { ChainUnavailableError } from "../../../src/ports/errors.js";

type Mode = "ok" | "throw" | "hang";

/** One RPC endpoint double: answers, throws (connection refused) or never answers; counts calls. */
class FakeEndpoint implements ChainPort {
  calls = 0;
  constructor(
    public mode: Mode,
    readonly height: number,
  ) {}
  private async act<T>(value: T): Promise<T> {
    this.calls++;
    if (this.mode === "throw") throw new ChainUnavailableError("status on http://10.0.0.7:26657 failed: connect ECONNREFUSED", "status");
    if (this.mode === "hang") return new Promise<T>(() => {});
    return value;
  }
  getTx(): Promise<ChainTx | null> {
    return this.act(null);
  }
  searchByRecipient(): Promise<readonly ChainTx[]> {
    return this.act([]);
  }
  latestHeight(): Promise<number> {
    return this.act(this.height);
  }
  blockTime(): Promise<Date> {
    return this.act(new Date(Date.UTC(2026, 10, 21, 12)));
  }
}

function build(modes: Mode[], opts: { deadlineMs?: number; retries?: number; breakerThreshold?: number; breakerCooldownMs?: number } = {}) {
  let now = 1_795_262_400_000;
  const start = Date.now();
  const eps = modes.map((m, i) => new FakeEndpoint(m, 1_000 + i));
  const chain = new ResilientChain(
    eps.map((port, i) => ({ port, name: `rpc-${i}` })),
    {
      deadlineMs: 1_500,
      random: () => 0,
      clock: () => now + Date.now() - start,
      ...opts,
    },
  );
  return { chain, eps, advance: (ms: number) => void (now += ms) };
}

describe("ResilientChain", () => {
  it("answers from the first endpoint when it is healthy", async () => {
    const { chain, eps } = build(["ok", "ok"]);
    expect(await chain.latestHeight()).toBe(1_000);
    expect(eps.map((e) => e.calls)).toEqual([1, 0]);
  });

  it("fails over to the second endpoint when the first throws", async () => {
    const { chain, eps } = build(["throw", "ok"]);
    expect(await chain.latestHeight()).toBe(1_001);
    expect(eps.map((e) => e.calls)).toEqual([1, 1]);
  });

  it("an endpoint that never answers gives ChainUnavailableError within the deadline plus slack", async () => {
    const { chain } = build(["hang"], { deadlineMs: 200 });
    const t0 = Date.now();
    const err = await chain.getTx("5D3F8A21C0B94E7F6A1D2C3B4E5F60718293A4B5C6D7E8F90A1B2C3D4E5F6071").catch((e: unknown) => e);
    const elapsed = Date.now() - t0;
    expect(err).toBeInstanceOf(ChainUnavailableError);
    expect((err as ChainUnavailableError).rpcMethod).toBe("tx");
    expect(elapsed).toBeGreaterThanOrEqual(190);
    expect(elapsed).toBeLessThan(200 + 250);
  });

  it("when every endpoint throws, the error is ChainUnavailableError after retries+1 attempts", async () => {
    const { chain, eps } = build(["throw", "throw"], { retries: 2, breakerThreshold: 10 });
    await expect(chain.latestHeight()).rejects.toThrow(/status: chain unavailable/);
    expect(eps[0]!.calls + eps[1]!.calls).toBe(3);
  });

  it("after threshold failures the dead endpoint's circuit opens and it is skipped", async () => {
    const { chain, eps } = build(["throw", "ok"], { breakerThreshold: 3, breakerCooldownMs: 5_000 });
    for (let i = 0; i < 3; i++) expect(await chain.latestHeight()).toBe(1_001);
    expect(eps[0]!.calls).toBeGreaterThanOrEqual(3);
    expect(chain.health()[0]).toMatchObject({ name: "rpc-0", open: true });
    expect(chain.health()[1]).toMatchObject({ name: "rpc-1", open: false, failures: 0 });
    const deadCalls = eps[0]!.calls;
    const healthyCalls = eps[1]!.calls;
    for (let i = 0; i < 10; i++) expect(await chain.latestHeight()).toBe(1_001);
    expect(eps[0]!.calls).toBe(deadCalls);
    expect(eps[1]!.calls).toBe(healthyCalls + 10);
  });

  it("recovers without restart: after the cooldown a healed endpoint is used again and its circuit closes", async () => {
    const { chain, eps, advance } = build(["throw", "ok"], { breakerThreshold: 2, breakerCooldownMs: 5_000 });
    await chain.latestHeight();
    await chain.latestHeight();
    expect(chain.health()[0]!.open).toBe(true);
    eps[0]!.mode = "ok";
    expect(await chain.latestHeight()).toBe(1_001); // still skipped during cooldown
    advance(5_001);
    expect(await chain.latestHeight()).toBe(1_000);
    expect(chain.health()[0]).toMatchObject({ open: false, failures: 0 });
  });

  it("half-open: a still-dead endpoint after cooldown gets a trial and reopens at once", async () => {
    const { chain, eps, advance } = build(["throw", "ok"], { breakerThreshold: 2, breakerCooldownMs: 5_000 });
    await chain.latestHeight();
    await chain.latestHeight();
    const before = eps[0]!.calls;
    advance(5_001);
    expect(await chain.latestHeight()).toBe(1_001);
    expect(eps[0]!.calls).toBeGreaterThan(before);
    expect(chain.health()[0]!.open).toBe(true);
    const after = eps[0]!.calls;
    expect(await chain.latestHeight()).toBe(1_001);
    expect(eps[0]!.calls).toBe(after);
  });

  it("with a single endpoint whose circuit is open, it is still tried (no self-inflicted outage)", async () => {
    const { chain, eps } = build(["throw"], { breakerThreshold: 1, retries: 0 });
    await expect(chain.latestHeight()).rejects.toBeInstanceOf(ChainUnavailableError);
    eps[0]!.mode = "ok";
    expect(await chain.latestHeight()).toBe(1_000);
  });

  // BUG (src/chain/resilient.ts:70): the endpoint order is recomputed on every attempt but indexed by
  // `attempt % n`; when an attempt's failure opens the circuit, the dead endpoint moves to the end and
  // the next index picks it again — the healthy endpoint is skipped. With retries:1 the call fails
  // although the second endpoint is healthy; with the defaults the dead one is called twice per call.
  it("a healthy second endpoint answers even on the attempt that opens the first endpoint's circuit", async () => {
    const { chain, eps } = build(["throw", "ok"], { breakerThreshold: 1, retries: 1 });
    expect(await chain.latestHeight()).toBe(1_001);
    expect(eps[0]!.calls).toBe(1);
  });

  // Same bug, default options: the attempt that opens the circuit is followed by a second call to the dead endpoint.
  it("the call that opens a circuit calls the dead endpoint only once", async () => {
    const { chain, eps } = build(["throw", "ok"], { breakerThreshold: 3 });
    await chain.latestHeight();
    await chain.latestHeight();
    expect(eps[0]!.calls).toBe(2);
    expect(await chain.latestHeight()).toBe(1_001);
    expect(eps[0]!.calls).toBe(3);
  });

  it("refuses to be built without endpoints", () => {
    expect(() => new ResilientChain([], { deadlineMs: 100 })).toThrow(/at least one endpoint/);
  });
});
