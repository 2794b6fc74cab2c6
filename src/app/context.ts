/**
 * What the composition root hands each feature extension. Features do not import this: each declares the
 * few members it needs (WatcherExtensionContext, ManageExtensionContext, X402ExtensionContext,
 * HealthContext), which this satisfies, so no feature imports from src/app.
 */
import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import type { ChainRegistry, NetworkChain } from "../chain/registry.js";
import type { GatewayConfig } from "../config/load.js";
import type { RouteTable } from "../config/route-table.js";
import type { InvoiceCodec } from "../core/invoices.js";
import type { SignedTxDeps } from "../core/signed-tx/settle.js";
import type { Metrics } from "../observability/metrics.js";
import type { PgStore } from "../store/pg-store.js";
import type { CheckHandler } from "../transport/check.js";

/** What a feature extension (payment watcher, management API, …) gets from the running gateway. */
export interface GatewayContext {
  readonly config: GatewayConfig;
  readonly log: Logger;
  readonly store: PgStore;
  readonly databaseUrl: string;
  /** the primary network's chain stack */
  readonly chain: NetworkChain;
  /** every network's chain stack */
  readonly networks: ChainRegistry;
  readonly codec: InvoiceCodec;
  readonly metrics: Metrics;
  readonly check: CheckHandler;
  /** the HTTP app before it listens: register routes here */
  readonly http: FastifyInstance;
  readonly clock: () => number;
  /** package version (GET /manage/openapi.json) */
  readonly version: string;
  /** signed-payment settlement (broadcaster, per-payer order), built once: the gate and x402 share it */
  readonly signedTx: SignedTxDeps;
  /** the run-time route table: current rules, reload() */
  readonly routeTable: RouteTable;
}

/** A feature started with the gateway and stopped before the store closes. */
export type Extension = (ctx: GatewayContext) => Promise<{ stop(): Promise<void> } | void> | { stop(): Promise<void> } | void;
