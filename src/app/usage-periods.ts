import type { Logger } from "pino";
import type { GatewayConfig } from "../config/load.js";
import type { PgStore } from "../store/pg-store.js";
import { closeDueUsage } from "../store/usage-periods.js";
import { runPeriodically } from "./periodic.js";

/** What the period sweep needs of the running gateway (GatewayContext satisfies it). */
export interface UsagePeriodContext {
  readonly config: Pick<GatewayConfig, "ledgerRollupMs">;
  readonly log: Logger;
  readonly store: Pick<PgStore, "pool">;
}

/**
 * ms between sweeps for a rollup period: a quarter of it, within 1 s … 60 s, so a quiet account's
 * period is closed at most that long after it ended (a busy account's next batch closes it at once).
 */
export function sweepEveryMs(periodMs: number): number {
  return Math.min(60_000, Math.max(1000, Math.floor(periodMs / 4)));
}

/**
 * Gateway extension: closes usage periods (migration 0011) that ended on accounts with no further
 * calls. Runs in every replica, also with GATEWAY_LEDGER_ROLLUPS=false (periods opened before the switch
 * still close): usage_close_due skips accounts another replica is closing, so none is closed twice.
 */
export function usagePeriodSweep(ctx: UsagePeriodContext): { stop(): Promise<void> } {
  const periodMs = ctx.config.ledgerRollupMs;
  const log = ctx.log.child({ component: "usage-periods" });
  return runPeriodically(sweepEveryMs(periodMs), log, "usage period sweep", async () => {
    const closed = await closeDueUsage(ctx.store.pool, periodMs);
    if (closed > 0) log.debug({ closed }, "usage periods closed into the ledger");
  });
}
