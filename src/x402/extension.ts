/**
 * x402 as a gateway extension (src/app/extensions.ts): the facilitator API on the HTTP server and the
 * confirmer that records the chain's verdict on optimistic allows. Both use the settlement dependencies
 * the app built once for the gate (createSignedTxDeps): one broadcaster, one per-payer order.
 */
import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import type { GatewayConfig } from "../config/load.js";
import type { ChainPort } from "../ports/chain.js";
import type { StorePort } from "../ports/store.js";
import type { Metrics } from "../observability/metrics.js";
import type { SignedTxDeps } from "../core/signed-tx/settle.js";
import { startConfirmer } from "./confirmer.js";
import { facilitatorRoutes } from "./facilitator.js";
import { x402Metrics } from "./metrics.js";

/** What x402 needs from the running gateway (the app's GatewayContext satisfies it). */
export interface X402ExtensionContext {
  readonly config: GatewayConfig;
  readonly chain: { readonly chain: ChainPort; readonly lastKnownHeight: () => number };
  readonly store: StorePort;
  /** the gate's settlement dependencies (src/x402/settle-deps.ts), shared; the app stops them */
  readonly signedTx: SignedTxDeps;
  readonly metrics: Pick<Metrics, "registry">;
  /** the HTTP app before it listens */
  readonly http: FastifyInstance;
  readonly clock: () => number;
  readonly log: Logger;
}

export async function x402Extension(ctx: X402ExtensionContext): Promise<{ stop(): Promise<void> }> {
  const x = ctx.config.x402;
  if (x.facilitatorPath) {
    facilitatorRoutes(ctx.http, {
      base: x.facilitatorPath,
      network: ctx.config.network,
      denom: ctx.config.denom,
      signed: ctx.signedTx,
      store: ctx.store,
      token: x.facilitatorToken,
      clock: ctx.clock,
      lastKnownHeight: ctx.chain.lastKnownHeight,
    });
  }
  const confirmer = startConfirmer({
    chain: ctx.chain.chain,
    settlements: ctx.signedTx.settlements,
    metrics: x402Metrics(ctx.metrics.registry),
    log: ctx.log.child({ component: "x402-confirmer" }),
    pollMs: x.confirmerPollMs,
    clock: ctx.clock,
  });
  return { stop: () => confirmer.stop() };
}
