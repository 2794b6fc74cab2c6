import type { Logger } from "pino";
import type { GatewayConfig } from "../../config/load.js";
import type { InvoiceCodec } from "../../core/invoices.js";
import type { Metrics } from "../../observability/metrics.js";
import type { ChainPort } from "../../ports/chain.js";
import type { StorePort } from "../../ports/store.js";
import type { CheckHandler } from "../check.js";

/** One network's chain availability as the chain registry reports it (src/chain/registry.ts NetworkAvailability). */
export interface NetworkStatus {
  /** CAIP-2 id */
  readonly id: string;
  readonly available: boolean;
  /** latest height seen, 0 until known */
  readonly height: number;
  /** why the last height poll failed */
  readonly error?: string;
}

/** What the HTTP API needs; built once in src/app/gateway.ts. */
export interface HttpDeps {
  readonly config: GatewayConfig;
  readonly store: StorePort;
  /** the primary network's chain */
  readonly chain: ChainPort;
  /** the chain of the network with this CAIP-2 id (the registry's); absent: the primary only */
  readonly chainFor?: (network: string) => ChainPort | undefined;
  readonly codec: InvoiceCodec;
  readonly metrics: Metrics;
  readonly log: Logger;
  readonly version: string;
  /** the same decision pipeline as gRPC Check, for the forward-auth transport */
  readonly check: CheckHandler;
  /** each configured network's chain availability (the chain registry's; no I/O), for /health and /readyz */
  readonly networks?: () => readonly NetworkStatus[];
  /** pool gauges refreshed on scrape */
  readonly poolStats?: () => { total: number; idle: number; waiting: number };
  /** unix ms */
  readonly clock: () => number;
}
