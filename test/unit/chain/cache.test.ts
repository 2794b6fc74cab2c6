import { describe, expect, it } from "vitest";
import { CachedChain } from "../../../src/chain/cache.js";
import type { ChainPort, ChainTx } from "../../../src/ports/chain.js";
import { ChainUnavailableError } from "../../../src/ports/errors.js";
import { PAY_TO, paymentTx, txHash } from "../builders.js";

/** A ChainPort double that counts calls and answers from mutable state. */
class CountingChain implements ChainPort {
  calls = { getTx: 0, searchByRecipient: 0, latestHeight: 0, blockTime: 0 };
  txs = new Map<string, ChainTx>();
  height = 1_204_331;
  fail = false;
  /** resolves answers only when released, to keep lookups concurrent */
  gate: Promise<void> = Promise.resolve();

  private async answer<T>(value: () => T): Promise<T> {
    await this.gate;
    if (this.fail) throw new ChainUnavailableError("tx on http://127.0.0.1:26657 failed: ECONNREFUSED", "tx");
    return value();
  }
  getTx(hash: string) {
    this.calls.getTx++;
    return this.answer(() => this.txs.get(hash.toUpperCase()) ?? null);
  }
  searchByRecipient(_r: string, _h: number, _l: number) {
    this.calls.searchByRecipient++;
    return this.answer(() => [...this.txs.values()]);
  }
  latestHeight() {
    this.calls.latestHeight++;
    return this.answer(() => this.height);
  }
  blockTime(height: number) {
    this.calls.blockTime++;
    return this.answer(() => new Date(Date.UTC(2026, 10, 21, 12) + height));
  }
}

function setup(opts: { missTtlMs?: number; shortTtlMs?: number; txTtlMs?: number } = {}) {
  let now = 1_795_262_400_000;
  const inner = new CountingChain();
  const chain = new CachedChain(inner, { ...opts, clock: () => now });
  return { inner, chain, advance: (ms: number) => void (now += ms) };
}

const HASH = txHash(42);
const TX = paymentTx("memo", 1_000n, { hash: HASH });

describe("CachedChain", () => {
  it("50 concurrent getTx of one hash cost one inner call and all get the tx", async () => {
    const { inner, chain } = setup();
    inner.txs.set(HASH, TX);
    let release!: () => void;
    inner.gate = new Promise((r) => (release = r));
    const all = Array.from({ length: 50 }, (_, i) => chain.getTx(i % 2 ? HASH : HASH.toLowerCase()));
    release();
    const results = await Promise.all(all);
    expect(inner.calls.getTx).toBe(1);
    expect(results.every((t) => t === TX)).toBe(true);
  });

  it("a found tx is served from cache afterwards", async () => {
    const { inner, chain, advance } = setup();
    inner.txs.set(HASH, TX);
    await chain.getTx(HASH);
    advance(60_000);
    expect(await chain.getTx(HASH)).toBe(TX);
    expect(inner.calls.getTx).toBe(1);
  });

  it("a miss is remembered for missTtlMs, then fetched again and the landed tx found", async () => {
    const { inner, chain, advance } = setup({ missTtlMs: 500 });
    expect(await chain.getTx(HASH)).toBeNull();
    inner.txs.set(HASH, TX); // lands in the next block
    advance(500);
    expect(await chain.getTx(HASH)).toBeNull();
    expect(inner.calls.getTx).toBe(1);
    advance(1);
    expect(await chain.getTx(HASH)).toBe(TX);
    expect(inner.calls.getTx).toBe(2);
  });

  it("latestHeight is cached for shortTtlMs", async () => {
    const { inner, chain, advance } = setup({ shortTtlMs: 1_000 });
    expect(await chain.latestHeight()).toBe(1_204_331);
    inner.height = 1_204_332;
    advance(1_000);
    expect(await chain.latestHeight()).toBe(1_204_331);
    advance(1);
    expect(await chain.latestHeight()).toBe(1_204_332);
    expect(inner.calls.latestHeight).toBe(2);
  });

  it("errors are not cached: the next call asks again", async () => {
    const { inner, chain } = setup();
    inner.txs.set(HASH, TX);
    inner.fail = true;
    await expect(chain.getTx(HASH)).rejects.toBeInstanceOf(ChainUnavailableError);
    await expect(chain.latestHeight()).rejects.toBeInstanceOf(ChainUnavailableError);
    inner.fail = false;
    expect(await chain.getTx(HASH)).toBe(TX);
    expect(await chain.latestHeight()).toBe(1_204_331);
    expect(inner.calls).toMatchObject({ getTx: 2, latestHeight: 2 });
  });

  it("concurrent callers of a failing lookup share the one failure", async () => {
    const { inner, chain } = setup();
    inner.fail = true;
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => chain.getTx(HASH)));
    expect(results.every((r) => r.status === "rejected")).toBe(true);
    expect(inner.calls.getTx).toBe(1);
  });

  it("txs found by a recipient search are cached for getTx", async () => {
    const { inner, chain } = setup();
    inner.txs.set(HASH, TX);
    expect(await chain.searchByRecipient(PAY_TO, 1_204_000, 100)).toEqual([TX]);
    expect(await chain.getTx(HASH)).toBe(TX);
    expect(inner.calls.getTx).toBe(0);
  });

  it("block times are cached per height", async () => {
    const { inner, chain } = setup();
    const a = await chain.blockTime(1_204_331);
    expect(await chain.blockTime(1_204_331)).toEqual(a);
    expect(await chain.blockTime(1_204_332)).not.toEqual(a);
    expect(inner.calls.blockTime).toBe(2);
  });
});
