/**
 * The chain registry: one chain stack (createChain) per configured network, looked up by CAIP-2 id.
 * Each network has its own endpoints, health verdicts, circuit breakers, cache and height tracker, so
 * one chain being down affects only that network: its `available` turns false, the others' do not.
 */
import type { Logger } from "pino";
import type { NetworkConfig } from "../config/networks.js";
import { createChain, type ChainMetrics, type ChainSetup, type ChainStatus } from "./index.js";
import type { EndpointHealth } from "./resilient.js";

/** One network's chain stack and its configuration. */
export interface NetworkChain extends ChainSetup {
  readonly network: NetworkConfig;
}

/** One network's availability as GET /health and /readyz report it (no I/O to compute). */
export interface NetworkAvailability extends ChainStatus {
  /** CAIP-2 id, e.g. "cosmos:Neutaro-1" */
  readonly id: string;
  readonly primary: boolean;
  readonly endpoints: readonly { readonly url: string; readonly health: EndpointHealth; readonly open: boolean }[];
}

/** A network id no configured network has. */
export class UnknownNetworkError extends Error {
  constructor(readonly networkId: string) {
    super(`unknown network "${networkId}" (configured: GATEWAY_CHAIN_ID and GATEWAY_NETWORKS)`);
    this.name = "UnknownNetworkError";
  }
}

export interface ChainRegistry {
  /** the GATEWAY_CHAIN_ID network (invoices and prepaid deposits of the single-asset gateway) */
  readonly primary: NetworkChain;
  /** the network with CAIP-2 id `networkId`, or undefined */
  get(networkId: string): NetworkChain | undefined;
  /** like get. @throws UnknownNetworkError */
  require(networkId: string): NetworkChain;
  /** every network, the primary first, in configuration order */
  all(): readonly NetworkChain[];
  /**
   * Whether `networkId`'s chain answered its last height poll (within GATEWAY_CHAIN_TIMEOUT_MS) with an
   * endpoint not excluded by health checks; no I/O. A payment on an unavailable network answers 503.
   * @throws UnknownNetworkError
   */
  available(networkId: string): boolean;
  /** every network's availability, the primary first; no I/O */
  availability(): readonly NetworkAvailability[];
  /** stops every height tracker and closes every connection */
  stop(): void;
}

/** Chain metrics plus the per-network gauges (label `network`: configured CAIP-2 ids only). */
export interface RegistryMetrics extends ChainMetrics {
  readonly networkUp: { set(labels: { network: string }, v: number): void };
  readonly networkHeight: { set(labels: { network: string }, v: number): void };
}

export interface RegistryOptions {
  /** GATEWAY_CHAIN_TIMEOUT_MS: the decision path's deadline per chain call */
  readonly deadlineMs: number;
  readonly metrics: RegistryMetrics;
  readonly log: Logger;
  /** ms between height polls (default 2000) */
  readonly pollMs?: number;
}

/**
 * Builds one chain stack per network. Only the primary sets gate402_chain_latest_height (its label set
 * is fixed); every network sets gate402_network_up{network} and gate402_network_latest_height{network}.
 * @param networks GatewayConfig.networks: the primary first, ids unique
 */
export function createChainRegistry(networks: readonly NetworkConfig[], o: RegistryOptions): ChainRegistry {
  const primaryConfig = networks.find((n) => n.primary);
  if (!primaryConfig) throw new Error("createChainRegistry needs the primary network");
  const ordered = [primaryConfig, ...networks.filter((n) => n !== primaryConfig)];
  const stacks = ordered.map((network): NetworkChain => {
    const { chainRequests, chainDuration, chainHeight } = o.metrics;
    const metrics: ChainMetrics = network.primary ? { chainRequests, chainDuration, chainHeight } : { chainRequests, chainDuration };
    const labels = { network: network.id };
    const setup = createChain(network.rpcUrls, o.deadlineMs, metrics, o.log.child({ network: network.id }), {
      pollMs: o.pollMs,
      onPoll: (s) => {
        o.metrics.networkUp.set(labels, s.available ? 1 : 0);
        if (s.height > 0) o.metrics.networkHeight.set(labels, s.height);
      },
    });
    o.metrics.networkUp.set(labels, 0);
    return { ...setup, network };
  });
  const byId = new Map(stacks.map((s) => [s.network.id, s]));
  const require = (id: string): NetworkChain => {
    const s = byId.get(id);
    if (!s) throw new UnknownNetworkError(id);
    return s;
  };
  return {
    primary: stacks[0]!,
    get: (id) => byId.get(id),
    require,
    all: () => stacks,
    available: (id) => require(id).status().available,
    availability: () =>
      stacks.map((s) => ({
        id: s.network.id,
        primary: s.network.primary,
        ...s.status(),
        endpoints: s.resilient.health().map((e) => ({ url: e.name, health: e.health, open: e.open })),
      })),
    stop() {
      for (const s of stacks) s.stop();
    },
  };
}
