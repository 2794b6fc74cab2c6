/** x402 settlement metrics, registered once per gateway registry. */
import { Counter, type Registry } from "prom-client";

export interface X402Metrics {
  /** gate402_x402_settlements_total{result}: optimistic | confirmed | refused_cap | refused_blocked | checktx_refused | timeout | failed */
  readonly settlements: Counter<"result">;
  /** gate402_x402_settlement_outcomes_total{outcome}: the chain's later verdict on an optimistic allow (confirmed | failed | dropped) */
  readonly outcomes: Counter<"outcome">;
}

const byRegistry = new WeakMap<Registry, X402Metrics>();

export function x402Metrics(registry: Registry): X402Metrics {
  let m = byRegistry.get(registry);
  if (!m) {
    m = {
      settlements: new Counter({
        name: "gate402_x402_settlements_total",
        help: "Signed-payment settlements by result (optimistic allow, confirmed allow, refusals)",
        labelNames: ["result"] as const,
        registers: [registry],
      }),
      outcomes: new Counter({
        name: "gate402_x402_settlement_outcomes_total",
        help: "Chain verdicts on optimistically allowed signed payments",
        labelNames: ["outcome"] as const,
        registers: [registry],
      }),
    };
    byRegistry.set(registry, m);
  }
  return m;
}
