import { removeUnfundedAccounts } from "../store/unfunded.js";
import type { GatewayContext } from "./context.js";
import { runPeriodically } from "./periodic.js";

/** How often each replica looks for never-funded accounts (the DELETE is idempotent across replicas). */
const SWEEP_EVERY_MS = 10 * 60_000;

/**
 * Gateway extension: removes prepaid accounts that never received a deposit once they are older than
 * GATEWAY_PREPAID_UNFUNDED_TTL (0 = keep forever), so anonymous sign-ups do not grow the table forever.
 * @param everyMs sweep interval (tests shorten it)
 */
export function unfundedSweep(everyMs = SWEEP_EVERY_MS) {
  return (ctx: GatewayContext): { stop(): Promise<void> } | void => {
    const ttl = ctx.config.prepaidSignup.unfundedTtlSeconds;
    if (!ctx.config.prepaidEnabled || ttl <= 0) return;
    const log = ctx.log.child({ component: "unfunded-sweep" });
    return runPeriodically(everyMs, log, "never-funded account sweep", async () => {
      const removed = await removeUnfundedAccounts(ctx.store.pool, ttl);
      if (removed > 0) log.info({ removed, olderThanSeconds: ttl }, "removed never-funded prepaid accounts");
    });
  };
}
