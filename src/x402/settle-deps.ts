/** Builds the signed-payment settlement dependencies from the gateway's config, chain and store. */
import { fromBech32 } from "@cosmjs/encoding";
import type { Registry } from "prom-client";
import { NeutaroBroadcaster } from "../chain/broadcast.js";
import type { GatewayConfig } from "../config/load.js";
import { PayerOrder } from "../core/signed-tx/payer-order.js";
import type { SignedTxDeps } from "../core/signed-tx/settle.js";
import type { ChainPort } from "../ports/chain.js";
import { pgSettlements } from "../store/settlements.js";
import type pg from "pg";
import { x402Metrics } from "./metrics.js";

export interface SignedTxSetup {
  readonly deps: SignedTxDeps;
  stop(): void;
}

/** @param chain the gateway's (cached, resilient) chain port, for tx lookups */
export function createSignedTxDeps(config: GatewayConfig, chain: ChainPort, pool: pg.Pool, registry: Registry): SignedTxSetup {
  const broadcaster = new NeutaroBroadcaster(config.rpcUrls, config.chainTimeoutMs);
  const metrics = x402Metrics(registry);
  const x = config.x402;
  return {
    deps: {
      broadcaster,
      settlements: pgSettlements(pool),
      chain,
      chainId: config.chainId,
      prefix: fromBech32(config.paymentAddress, 90).prefix,
      mode: x.settlement,
      maxUnconfirmedMicro: x.maxUnconfirmedMicro,
      confirmAboveMicro: x.confirmAboveMicro,
      confirmWaitMs: x.confirmWaitMs,
      onSettlement: (result) => metrics.settlements.inc({ result }),
      payerOrder: new PayerOrder(),
    },
    stop: () => broadcaster.disconnect(),
  };
}
