import type { ChainPort, ChainScanPort, ChainTx, ScannedTx } from "../ports/chain.js";
import { ChainUnavailableError } from "../ports/errors.js";

export interface ResilienceOptions {
  /** overall deadline of one port call across retries and endpoints, ms (GATEWAY_CHAIN_TIMEOUT_MS) */
  readonly deadlineMs: number;
  /** extra attempts after the first, across endpoints */
  readonly retries?: number;
  /** consecutive failures that open an endpoint's circuit */
  readonly breakerThreshold?: number;
  /** how long an open circuit skips the endpoint, ms */
  readonly breakerCooldownMs?: number;
  readonly clock?: () => number;
  readonly random?: () => number;
  /** another ResilientChain over the same URLs whose health verdicts this one follows (the watcher's) */
  readonly healthFrom?: { healthOf(name: string): EndpointHealth };
}

/** An endpoint's port; range reads (ChainScanPort) are optional, for the payment watcher. */
type EndpointPort = ChainPort & Partial<ChainScanPort>;

/**
 * What the health checker (health.ts) last found: `ok`; `degraded` (unreachable, catching up or behind
 * the others: tried after the ok ones); `excluded` (wrong chain id or tx index off: never used, since
 * its answers could be wrong rather than missing).
 */
export type EndpointHealth = "ok" | "degraded" | "excluded";

interface Endpoint {
  readonly port: EndpointPort;
  readonly name: string;
  failures: number;
  openUntil: number;
  health: EndpointHealth;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ChainUnavailableError(`${what}: no answer within ${ms} ms`, what)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/**
 * ChainPort over several RPC endpoints: per-call deadline, bounded retries with jitter, failover in
 * order, and a circuit breaker so a dead endpoint costs no latency. When every circuit is open the
 * least recently opened endpoint is tried anyway (half-open), so recovery needs no restart.
 * Throws ChainUnavailableError when the deadline passes or every attempt failed.
 */
export class ResilientChain implements ChainPort, ChainScanPort {
  private readonly endpoints: Endpoint[];
  private readonly retries: number;
  private readonly threshold: number;
  private readonly cooldownMs: number;
  private readonly clock: () => number;
  private readonly random: () => number;

  constructor(
    ports: readonly { port: EndpointPort; name: string }[],
    private readonly opts: ResilienceOptions,
  ) {
    if (ports.length === 0) throw new Error("ResilientChain needs at least one endpoint");
    this.endpoints = ports.map((p) => ({ ...p, failures: 0, openUntil: 0, health: "ok" as EndpointHealth }));
    this.retries = opts.retries ?? 2;
    this.threshold = opts.breakerThreshold ?? 3;
    this.cooldownMs = opts.breakerCooldownMs ?? 5000;
    this.clock = opts.clock ?? Date.now;
    this.random = opts.random ?? Math.random;
  }

  /**
   * Endpoints to try: closed circuits in configured order (healthy before degraded), then open ones by
   * earliest reopening; excluded endpoints never.
   */
  private order(): Endpoint[] {
    const now = this.clock();
    const usable = this.endpoints.filter((e) => this.healthOf(e.name) !== "excluded");
    const closed = usable.filter((e) => e.openUntil <= now);
    const open = usable.filter((e) => e.openUntil > now).sort((a, b) => a.openUntil - b.openUntil);
    return [...closed.filter((e) => this.healthOf(e.name) === "ok"), ...closed.filter((e) => this.healthOf(e.name) !== "ok"), ...open];
  }

  /** Last health verdict for the endpoint named `name` ("ok" when never checked or unknown). */
  healthOf(name: string): EndpointHealth {
    if (this.opts.healthFrom) return this.opts.healthFrom.healthOf(name);
    return this.endpoints.find((e) => e.name === name)?.health ?? "ok";
  }

  /** Records the health checker's verdict for the endpoint named `name` (see EndpointHealth). */
  setHealth(name: string, health: EndpointHealth): void {
    for (const e of this.endpoints) if (e.name === name) e.health = health;
  }

  private async run<T>(rpcMethod: string, fn: (p: EndpointPort) => Promise<T>): Promise<T> {
    const deadline = this.clock() + this.opts.deadlineMs;
    let lastErr: unknown;
    // Order once per call: a circuit opened mid-call must not send the retry back to the dead endpoint.
    const order = this.order();
    if (order.length === 0)
      throw new ChainUnavailableError(`${rpcMethod}: no usable RPC endpoint (all excluded by health checks)`, rpcMethod);
    for (let attempt = 0; attempt <= this.retries; attempt++) {
      const ep = order[attempt % order.length]!;
      const remaining = deadline - this.clock();
      if (remaining <= 0) break;
      try {
        const value = await withTimeout(fn(ep.port), remaining, rpcMethod);
        ep.failures = 0;
        ep.openUntil = 0;
        return value;
      } catch (err) {
        lastErr = err;
        if (++ep.failures >= this.threshold) ep.openUntil = this.clock() + this.cooldownMs;
      }
      const backoff = Math.min(deadline - this.clock(), 20 + this.random() * 80 * (attempt + 1));
      if (backoff > 0 && attempt < this.retries) await sleep(backoff);
    }
    const why = lastErr instanceof Error ? lastErr.message : "deadline exceeded";
    throw new ChainUnavailableError(`${rpcMethod}: chain unavailable (${why})`, rpcMethod, { cause: lastErr });
  }

  getTx(hash: string): Promise<ChainTx | null> {
    return this.run("tx", (p) => p.getTx(hash));
  }
  searchByRecipient(recipient: string, minHeight: number, limit: number): Promise<readonly ChainTx[]> {
    return this.run("tx_search", (p) => p.searchByRecipient(recipient, minHeight, limit));
  }
  latestHeight(): Promise<number> {
    return this.run("status", (p) => p.latestHeight());
  }
  blockTime(height: number): Promise<Date> {
    return this.run("block", (p) => p.blockTime(height));
  }
  scanRecipient(
    recipient: string,
    minHeight: number,
    maxHeight: number,
    page: number,
    perPage: number,
  ): Promise<{ readonly txs: readonly ScannedTx[]; readonly totalCount: number }> {
    return this.run("tx_search", (p) => {
      if (!p.scanRecipient) throw new ChainUnavailableError("endpoint cannot scan ranges", "tx_search");
      return p.scanRecipient(recipient, minHeight, maxHeight, page, perPage);
    });
  }
  blockTimes(minHeight: number, maxHeight: number): Promise<ReadonlyMap<number, Date>> {
    return this.run("blockchain", (p) => {
      if (!p.blockTimes) throw new ChainUnavailableError("endpoint cannot read block ranges", "blockchain");
      return p.blockTimes(minHeight, maxHeight);
    });
  }
  /** Circuit state per endpoint, for /readyz and logs. */
  health(): { name: string; open: boolean; failures: number; health: EndpointHealth }[] {
    const now = this.clock();
    return this.endpoints.map((e) => ({ name: e.name, open: e.openUntil > now, failures: e.failures, health: this.healthOf(e.name) }));
  }
}
