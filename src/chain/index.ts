import type { Logger } from "pino";
import type { ChainPort } from "../ports/chain.js";
import type { Metrics } from "../observability/metrics.js";
import { BlockClock } from "./block-clock.js";
import { CachedChain } from "./cache.js";
import { InstrumentedChain } from "./instrumented.js";
import { NeutaroChain } from "./neutaro.js";
import { ResilientChain } from "./resilient.js";

export interface ChainSetup {
  /** the port the core uses: cached → resilient (deadline, retries, failover) → instrumented endpoints */
  readonly chain: ChainPort;
  /** last height seen by the background tracker, 0 until known; no I/O */
  readonly lastKnownHeight: () => number;
  /** seconds until the next block is expected (from the heights the tracker saw), ≥ 1; no I/O */
  readonly nextBlockSeconds: () => number;
  /** the raw endpoints, for start-up node checks */
  readonly endpoints: readonly NeutaroChain[];
  readonly resilient: ResilientChain;
  stop(): void;
}

/**
 * Builds the chain stack for `rpcUrls` and starts a background height tracker (every `pollMs`),
 * so issuing invoices never waits on the chain.
 * @param deadlineMs GATEWAY_CHAIN_TIMEOUT_MS: the longest a decision waits for the chain
 */
export function createChain(rpcUrls: readonly string[], deadlineMs: number, metrics: Metrics, log: Logger, pollMs = 2000): ChainSetup {
  const endpoints = rpcUrls.map((url) => new NeutaroChain(url, deadlineMs));
  const resilient = new ResilientChain(endpoints.map((e) => ({ port: new InstrumentedChain(e, metrics), name: e.rpcUrl })), { deadlineMs });
  const chain = new CachedChain(resilient);
  let height = 0;
  const blocks = new BlockClock(Date.now);
  const poll = async () => {
    try {
      height = await chain.latestHeight();
      blocks.observe(height);
    } catch (err) {
      log.debug({ err: (err as Error).message }, "height tracker: chain unavailable");
    }
  };
  void poll();
  const timer = setInterval(poll, pollMs);
  timer.unref();
  return {
    chain, endpoints, resilient,
    lastKnownHeight: () => height,
    nextBlockSeconds: () => blocks.nextBlockSeconds(),
    stop() {
      clearInterval(timer);
      for (const e of endpoints) e.disconnect();
    },
  };
}
