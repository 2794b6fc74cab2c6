import type { ChainPort, ChainScanPort, ChainTx, ScannedTx } from "../ports/chain.js";
import { ChainUnavailableError } from "../ports/errors.js";
import type { Metrics } from "../observability/metrics.js";

/**
 * The chain metrics a stack counts in: call counts and latency (all networks share them; docs/design.md "Metrics" fixes
 * their labels), and `chainHeight` (gate402_chain_latest_height) only when given: the primary network's.
 */
export type ChainMetrics = Pick<Metrics, "chainRequests" | "chainDuration"> & { readonly chainHeight?: { set(v: number): void } };

/**
 * Metrics decorator for a ChainPort (one per endpoint): call counts by outcome and latency. Passes the
 * watcher's range reads (ChainScanPort) through when the inner adapter has them.
 */
export class InstrumentedChain implements ChainPort, ChainScanPort {
  constructor(
    private readonly inner: ChainPort & Partial<ChainScanPort>,
    private readonly m: ChainMetrics,
  ) {}

  private async timed<T>(rpcMethod: string, fn: () => Promise<T>): Promise<T> {
    const end = this.m.chainDuration.startTimer({ rpc_method: rpcMethod });
    try {
      const v = await fn();
      this.m.chainRequests.inc({ rpc_method: rpcMethod, outcome: "ok" });
      return v;
    } catch (err) {
      this.m.chainRequests.inc({ rpc_method: rpcMethod, outcome: /timeout|abort/i.test(String(err)) ? "timeout" : "error" });
      throw err;
    } finally {
      end();
    }
  }

  getTx(hash: string): Promise<ChainTx | null> {
    return this.timed("tx", () => this.inner.getTx(hash));
  }
  searchByRecipient(recipient: string, minHeight: number, limit: number): Promise<readonly ChainTx[]> {
    return this.timed("tx_search", () => this.inner.searchByRecipient(recipient, minHeight, limit));
  }
  async latestHeight(): Promise<number> {
    const h = await this.timed("status", () => this.inner.latestHeight());
    this.m.chainHeight?.set(h);
    return h;
  }
  blockTime(height: number): Promise<Date> {
    return this.timed("block", () => this.inner.blockTime(height));
  }
  scanRecipient(
    recipient: string,
    minHeight: number,
    maxHeight: number,
    page: number,
    perPage: number,
  ): Promise<{ txs: readonly ScannedTx[]; totalCount: number }> {
    const scan = this.inner.scanRecipient?.bind(this.inner);
    if (!scan) return Promise.reject(new ChainUnavailableError("this chain adapter cannot scan ranges", "tx_search"));
    return this.timed("tx_search", () => scan(recipient, minHeight, maxHeight, page, perPage));
  }
  blockTimes(minHeight: number, maxHeight: number): Promise<ReadonlyMap<number, Date>> {
    const times = this.inner.blockTimes?.bind(this.inner);
    if (!times) return Promise.reject(new ChainUnavailableError("this chain adapter cannot read block ranges", "blockchain"));
    return this.timed("blockchain", () => times(minHeight, maxHeight));
  }
}
