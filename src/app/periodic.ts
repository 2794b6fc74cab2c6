import type { Logger } from "pino";

/**
 * Runs `task` now and then every `everyMs` (ms) in the background, never two at once; a failure is logged
 * as a warning and retried at the next interval. Background housekeeping of every replica (sweeps,
 * partition maintenance), whose statements are idempotent or locked across replicas.
 * @returns stop(): no further runs (a run under way finishes on its own)
 */
export function runPeriodically(everyMs: number, log: Logger, what: string, task: () => Promise<void>): { stop(): Promise<void> } {
  let running = false;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      await task();
    } catch (err) {
      log.warn({ err: (err as Error).message }, `${what} failed; retrying next interval`);
    } finally {
      running = false;
    }
  };
  void tick();
  const timer = setInterval(() => void tick(), everyMs);
  timer.unref();
  return { stop: async () => clearInterval(timer) };
}
