/**
 * The one place chain stacks are built (issue 11): per network, cache → resilient (deadline, retries,
 * failover, circuit breakers, health verdicts) → instrumented endpoints, plus a background height
 * tracker. Ports with another deadline over the same endpoints (the payment watcher's) come from
 * `ChainSetup.withDeadline`, so they follow the same health verdicts.
 */
import type { Logger } from "pino";
import type { ChainPort, ChainScanPort } from "../ports/chain.js";
import { BlockClock } from "./block-clock.js";
import { CachedChain } from "./cache.js";
import { InstrumentedChain, type ChainMetrics } from "./instrumented.js";
import { NeutaroChain } from "./neutaro.js";
import { ResilientChain, type EndpointHealth } from "./resilient.js";

export type { ChainMetrics } from "./instrumented.js";

/** A port with range reads: what the payment watcher needs. Throws ChainUnavailableError like ChainPort. */
export type ScanChainPort = ChainPort & ChainScanPort;

/** What the background height tracker last saw; no I/O to read. */
export interface ChainStatus {
  /** the last height poll answered (within the decision deadline) and some endpoint is not excluded */
  readonly available: boolean;
  /** last height seen, 0 until known */
  readonly height: number;
  /** unix ms of the last poll (answered or not); undefined before the first one finished */
  readonly checkedAt?: number;
  /** why the last poll failed; undefined when it answered */
  readonly error?: string;
}

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
  /** availability from the height tracker (see ChainStatus); no I/O */
  status(): ChainStatus;
  /**
   * A port over the same RPC URLs with its own deadline (per call, across retries and endpoints) that
   * follows this stack's health verdicts and counts in the same chain metrics; not cached. One per
   * deadline, closed by `stop()`. Used by the payment watcher, whose range reads may take seconds.
   */
  withDeadline(deadlineMs: number): ScanChainPort;
  stop(): void;
}

export interface ChainOptions {
  /** ms between height polls (default 2000) */
  readonly pollMs?: number;
  /** called with every height the tracker sees and whether the poll answered (per-network gauges) */
  readonly onPoll?: (status: ChainStatus) => void;
}

/**
 * A resilient port over `rpcUrls` without cache or tracker: the payment watcher's, or a standalone
 * replica's in tests and benchmarks. `healthFrom`: another stack's verdicts to follow.
 * @returns the port and `stop` (closes the endpoints' connections)
 */
export function createScanChain(
  rpcUrls: readonly string[],
  deadlineMs: number,
  o: { readonly metrics?: ChainMetrics; readonly healthFrom?: { healthOf(name: string): EndpointHealth } } = {},
): { readonly port: ResilientChain; stop(): void } {
  const endpoints = rpcUrls.map((url) => new NeutaroChain(url, deadlineMs));
  const port = new ResilientChain(
    endpoints.map((e) => ({ port: o.metrics ? new InstrumentedChain(e, o.metrics) : e, name: e.rpcUrl })),
    { deadlineMs, healthFrom: o.healthFrom },
  );
  return {
    port,
    stop: () => {
      for (const e of endpoints) e.disconnect();
    },
  };
}

/**
 * Builds the chain stack for `rpcUrls` and starts a background height tracker (every `pollMs`),
 * so issuing invoices never waits on the chain.
 * @param deadlineMs GATEWAY_CHAIN_TIMEOUT_MS: the longest a decision waits for the chain
 * @param metrics chain call counters; `chainHeight` (gate402_chain_latest_height) only for the primary network
 */
export function createChain(
  rpcUrls: readonly string[],
  deadlineMs: number,
  metrics: ChainMetrics,
  log: Logger,
  opts: ChainOptions = {},
): ChainSetup {
  const endpoints = rpcUrls.map((url) => new NeutaroChain(url, deadlineMs));
  const resilient = new ResilientChain(
    endpoints.map((e) => ({ port: new InstrumentedChain(e, metrics), name: e.rpcUrl })),
    { deadlineMs },
  );
  const chain = new CachedChain(resilient);
  let status: ChainStatus = { available: false, height: 0 };
  const blocks = new BlockClock(Date.now);
  const usable = () => resilient.health().some((e) => e.health !== "excluded");
  const poll = async () => {
    try {
      const height = await chain.latestHeight();
      blocks.observe(height);
      status = {
        available: usable(),
        height,
        checkedAt: Date.now(),
        error: usable() ? undefined : "every RPC endpoint is excluded by the health checks",
      };
    } catch (err) {
      status = { available: false, height: status.height, checkedAt: Date.now(), error: (err as Error).message };
      log.debug({ err: (err as Error).message }, "height tracker: chain unavailable");
    }
    opts.onPoll?.(status);
  };
  void poll();
  const timer = setInterval(poll, opts.pollMs ?? 2000);
  timer.unref();
  const scans = new Map<number, ReturnType<typeof createScanChain>>();
  return {
    chain,
    endpoints,
    resilient,
    lastKnownHeight: () => status.height,
    nextBlockSeconds: () => blocks.nextBlockSeconds(),
    status: () => status,
    withDeadline(ms) {
      let scan = scans.get(ms);
      if (!scan) scans.set(ms, (scan = createScanChain(rpcUrls, ms, { metrics, healthFrom: resilient })));
      return scan.port;
    },
    stop() {
      clearInterval(timer);
      for (const e of endpoints) e.disconnect();
      for (const s of scans.values()) s.stop();
    },
  };
}
