import { maintainUsage } from "../store/usage-retention.js";
import type { Logger } from "pino";
import type { GatewayConfig } from "../config/load.js";
import type { PgStore } from "../store/pg-store.js";
import { runPeriodically } from "./periodic.js";

/** What usage maintenance needs of the running gateway (GatewayContext satisfies it). */
export interface UsageMaintenanceContext {
  readonly config: Pick<GatewayConfig, "usageMaintenanceMs" | "usageRetentionDays">;
  readonly log: Logger;
  readonly store: Pick<PgStore, "pool">;
}

/**
 * Gateway extension: every GATEWAY_USAGE_MAINTENANCE_MS (0 = off, e.g. when a CronJob runs
 * `gate402 maintain`), creates usage_events day partitions ahead and drops days older than
 * GATEWAY_USAGE_RETENTION. Every replica ticks; the advisory lock inside maintainUsage lets one do it.
 */
export function usageMaintenance(ctx: UsageMaintenanceContext): { stop(): Promise<void> } | void {
  const everyMs = ctx.config.usageMaintenanceMs;
  if (everyMs <= 0) return;
  const log = ctx.log.child({ component: "usage-maintenance" });
  return runPeriodically(everyMs, log, "usage maintenance", async () => {
    const done = await maintainUsage(ctx.store.pool, { retentionDays: ctx.config.usageRetentionDays });
    if (done.ran && (done.created.length || done.dropped.length)) log.info(done, "usage maintenance");
  });
}
