import type { ChainPort, ChainTx } from "../ports/chain.js";
import type { Metrics } from "../observability/metrics.js";

/** Metrics decorator for a ChainPort (one per endpoint): call counts by outcome and latency. */
export class InstrumentedChain implements ChainPort {
  constructor(private readonly inner: ChainPort, private readonly m: Metrics) {}

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
    this.m.chainHeight.set(h);
    return h;
  }
  blockTime(height: number): Promise<Date> {
    return this.timed("block", () => this.inner.blockTime(height));
  }
}
