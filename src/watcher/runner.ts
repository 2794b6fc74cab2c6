/**
 * The watcher's life: stand by until the lock is free, then run passes back to back while behind and
 * every pollMs once caught up; step down when the lock session dies; stop cleanly on request.
 */
import type { Logger } from "pino";
import type { AdvisoryLease } from "./lease.js";
import type { WatcherMetrics } from "./metrics.js";
import type { PassResult, PaymentWatcher } from "./watcher.js";

export interface RunnerOptions {
  /** ms between passes when caught up, and after a failed pass */
  readonly pollMs: number;
  /** ms between a standby's lock attempts */
  readonly leasePollMs: number;
  /** called after every pass (tests, benchmark) */
  readonly onPass?: (r: PassResult) => void;
}

/** A started watcher. */
export interface WatcherHandle {
  /** whether this replica holds the lock now */
  isLeader(): boolean;
  /** backend pid of the lock session (null without one) */
  backendPid(): Promise<number | null>;
  /** stops after the running pass, releases the lock */
  stop(): Promise<void>;
  /** drops the lock session without releasing anything, as a crash would (tests) */
  crash(): Promise<void>;
}

/** A sleep that stop() can cut short. */
function sleeper() {
  let wake: (() => void) | undefined;
  return {
    sleep: (ms: number) =>
      new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          wake = undefined;
          resolve();
        }, ms);
        wake = () => {
          clearTimeout(t);
          wake = undefined;
          resolve();
        };
      }),
    wake: () => wake?.(),
  };
}

/** Starts the loop in the background. Never throws: failures are logged and retried. */
export function runWatcher(
  watcher: PaymentWatcher,
  lease: AdvisoryLease,
  metrics: WatcherMetrics,
  log: Logger,
  opts: RunnerOptions,
): WatcherHandle {
  let stopped = false;
  let crashed = false;
  let wasLeader = false;
  const { sleep, wake } = sleeper();
  const step = async (): Promise<void> => {
    if (!lease.holding) {
      metrics.leader.set(0);
      if (wasLeader) {
        // We just lost our session (terminated, partitioned): that often marks the unhealthy replica,
        // and retrying at once would usually win the lock back before any standby's next attempt.
        // Give the standbys two polls first.
        wasLeader = false;
        await sleep(opts.leasePollMs * 2);
        if (stopped) return;
      }
      const got = await lease
        .tryAcquire()
        .catch((err: Error) => void log.warn({ err: err.message }, "payment watcher: lock attempt failed"));
      if (!got) return sleep(opts.leasePollMs);
      metrics.leader.set(1);
      wasLeader = true;
      log.info("payment watcher: holding the lock, writing");
    }
    try {
      const r = await watcher.pass();
      opts.onPass?.(r);
      if (r.behind === 0) await sleep(opts.pollMs);
    } catch (err) {
      log.warn({ err: (err as Error).message }, "payment watcher: pass failed, retrying");
      await sleep(opts.pollMs);
    }
  };
  const loop = (async () => {
    while (!stopped) await step();
    metrics.leader.set(0);
    if (!crashed) await lease.release();
  })();
  return {
    isLeader: () => lease.holding,
    backendPid: () => lease.backendPid(),
    async stop() {
      stopped = true;
      wake();
      await loop;
    },
    async crash() {
      crashed = true;
      stopped = true;
      wake();
      await lease.abandon();
      await loop;
    },
  };
}
