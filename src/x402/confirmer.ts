/**
 * Records the chain's verdict on signed payments gate402 broadcast and allowed before inclusion: every
 * pass looks the pending txs up by hash (a failed tx has no transfer to us, so the recipient-indexed
 * watcher never sees it) and finishes each one exactly once in the store: included with code 0 →
 * confirmed; included with another code → failed (the payer is refused optimistic settlement from
 * then on); never seen by its expiry → dropped. Safe on every replica: finish() is conditional.
 */
import type { Logger } from "pino";
import type { ChainPort } from "../ports/chain.js";
import type { SettlementOutcome, SettlementStorePort } from "../ports/settlement.js";
import type { X402Metrics } from "./metrics.js";

export interface ConfirmerOptions {
  readonly chain: ChainPort;
  readonly settlements: SettlementStorePort;
  readonly metrics: X402Metrics;
  readonly log: Logger;
  /** ms between passes */
  readonly pollMs: number;
  /** unix ms */
  readonly clock?: () => number;
  /** pending settlements looked at per pass */
  readonly batch?: number;
}

async function verdict(chain: ChainPort, hash: string, expiresAt: Date, now: number): Promise<SettlementOutcome | null> {
  const tx = await chain.getTx(hash);
  if (tx) return tx.code === 0 ? { kind: "confirmed", height: tx.height } : { kind: "failed", code: tx.code };
  return now > expiresAt.getTime() ? { kind: "dropped" } : null;
}

/** One pass; returns how many settlements it finished. Throws on outages (the loop logs and retries). */
export async function confirmPass(o: ConfirmerOptions): Promise<number> {
  const now = (o.clock ?? Date.now)();
  let done = 0;
  for (const p of await o.settlements.listPending(o.batch ?? 100)) {
    const v = await verdict(o.chain, p.txHash, p.expiresAt, now);
    if (!v) continue;
    const finished = await o.settlements.finish(p.txHash, v);
    if (!finished) continue;
    done++;
    if (finished.optimistic) o.metrics.outcomes.inc({ outcome: v.kind });
    if (v.kind !== "confirmed") o.log.warn({ txHash: p.txHash, payer: p.payer, outcome: v }, "signed payment not confirmed after allow");
  }
  return done;
}

/** Starts the loop; stop() waits for the pass in flight. */
export function startConfirmer(o: ConfirmerOptions): { stop(): Promise<void> } {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const tick = () => {
    running = confirmPass(o)
      .then(
        () => undefined,
        (err: unknown) => o.log.debug({ err: (err as Error).message }, "x402 confirmer pass failed; retrying"),
      )
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, o.pollMs);
      });
  };
  timer = setTimeout(tick, o.pollMs);
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
