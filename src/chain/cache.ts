import type { ChainPort, ChainTx } from "../ports/chain.js";

/** Bounded map that forgets the least recently written entry; entries may expire. */
class TtlLru<K, V> {
  private readonly map = new Map<K, { value: V; until: number }>();
  constructor(
    private readonly max: number,
    private readonly clock: () => number,
  ) {}
  get(key: K): V | undefined {
    const hit = this.map.get(key);
    if (!hit) return undefined;
    if (hit.until < this.clock()) return void this.map.delete(key);
    return hit.value;
  }
  set(key: K, value: V, ttlMs: number): void {
    this.map.delete(key);
    this.map.set(key, { value, until: this.clock() + ttlMs });
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value as K);
  }
}

export interface CacheOptions {
  /** how long a found tx is kept, ms (included txs never change; bounded by size) */
  readonly txTtlMs?: number;
  /** how long "not found" is remembered, ms: short, the payment may land in the next block */
  readonly missTtlMs?: number;
  /** latest height and recipient searches, ms */
  readonly shortTtlMs?: number;
  readonly maxEntries?: number;
  readonly clock?: () => number;
}

/**
 * Caching decorator for a ChainPort: included txs and block times are cached (they never change),
 * misses, searches and the latest height briefly; concurrent identical lookups share one RPC call
 * (single flight), so 50 requests carrying one proof cost one `tx` call.
 */
export class CachedChain implements ChainPort {
  private readonly txs: TtlLru<string, ChainTx | null>;
  private readonly times: TtlLru<number, Date>;
  private readonly searches: TtlLru<string, readonly ChainTx[]>;
  private latest: { value: number; until: number } | undefined;
  private readonly inflight = new Map<string, Promise<unknown>>();
  private readonly clock: () => number;

  constructor(
    private readonly inner: ChainPort,
    private readonly opts: CacheOptions = {},
  ) {
    this.clock = opts.clock ?? Date.now;
    const max = opts.maxEntries ?? 10_000;
    this.txs = new TtlLru(max, this.clock);
    this.times = new TtlLru(max, this.clock);
    this.searches = new TtlLru(256, this.clock);
  }

  private once<T>(key: string, load: () => Promise<T>): Promise<T> {
    const running = this.inflight.get(key) as Promise<T> | undefined;
    if (running) return running;
    const p = load().finally(() => this.inflight.delete(key));
    this.inflight.set(key, p);
    return p;
  }

  async getTx(hash: string): Promise<ChainTx | null> {
    const key = hash.toUpperCase();
    const hit = this.txs.get(key);
    if (hit !== undefined) return hit;
    return this.once(`tx:${key}`, async () => {
      const tx = await this.inner.getTx(key);
      this.txs.set(key, tx, tx ? (this.opts.txTtlMs ?? 3_600_000) : (this.opts.missTtlMs ?? 500));
      return tx;
    });
  }

  async searchByRecipient(recipient: string, minHeight: number, limit: number, forMemo = ""): Promise<readonly ChainTx[]> {
    // Per memo: a flood of one proof shares one call, but a search made before invoice B was paid
    // must not answer B's proof after it was (the agent would be told "pending" for up to the TTL).
    const key = `${recipient}|${minHeight}|${limit}|${forMemo}`;
    const hit = this.searches.get(key);
    if (hit) return hit;
    return this.once(`search:${key}`, async () => {
      const found = await this.inner.searchByRecipient(recipient, minHeight, limit);
      this.searches.set(key, found, this.opts.shortTtlMs ?? 500);
      for (const tx of found) this.txs.set(tx.hash, tx, this.opts.txTtlMs ?? 3_600_000);
      return found;
    });
  }

  async latestHeight(): Promise<number> {
    if (this.latest && this.latest.until >= this.clock()) return this.latest.value;
    return this.once("latest", async () => {
      const value = await this.inner.latestHeight();
      this.latest = { value, until: this.clock() + (this.opts.shortTtlMs ?? 500) };
      return value;
    });
  }

  async blockTime(height: number): Promise<Date> {
    const hit = this.times.get(height);
    if (hit) return hit;
    return this.once(`block:${height}`, async () => {
      const t = await this.inner.blockTime(height);
      this.times.set(height, t, this.opts.txTtlMs ?? 3_600_000);
      return t;
    });
  }
}
