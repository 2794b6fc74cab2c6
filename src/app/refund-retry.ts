/**
 * A bounded in-memory retry queue for work the database could not take now (refunds during a store
 * outage). Every `intervalMs` each queued item is attempted once more, oldest first; an item leaves the
 * queue when an attempt succeeds, or is abandoned when older than `maxAgeMs` or when the queue is full.
 * Items are lost on process exit (documented; the log names each abandoned one).
 */

export interface RetryOptions {
  /** ms between retry rounds (default 1000) */
  readonly intervalMs: number;
  /** items kept at most; more are abandoned at once (default 10,000) */
  readonly maxQueued: number;
  /** ms after which an item is abandoned instead of retried */
  readonly maxAgeMs: number;
  /** unix ms; injected by tests */
  readonly clock: () => number;
}

export interface RetryHandlers<T> {
  /** @returns true when done (success or a final answer), false to retry later; must not reject */
  attempt(item: T): Promise<boolean>;
  abandon(item: T, why: "too_old" | "queue_full" | "stopped"): void;
}

export class RetryQueue<T> {
  private readonly items: { item: T; since: number }[] = [];
  private readonly timer: NodeJS.Timeout;
  private running = false;
  private readonly opts: RetryOptions;

  constructor(
    opts: Partial<RetryOptions> & { maxAgeMs: number },
    private readonly handlers: RetryHandlers<T>,
  ) {
    this.opts = { intervalMs: 1000, maxQueued: 10_000, clock: Date.now, ...opts };
    this.timer = setInterval(() => void this.round(), this.opts.intervalMs);
    this.timer.unref();
  }

  /** Queues `item` for the next round (or abandons it when the queue is full). */
  add(item: T): void {
    if (this.items.length >= this.opts.maxQueued) {
      this.handlers.abandon(item, "queue_full");
      return;
    }
    this.items.push({ item, since: this.opts.clock() });
  }

  size(): number {
    return this.items.length;
  }

  /** Stops retrying; what is still queued is abandoned. */
  stop(): void {
    clearInterval(this.timer);
    for (const { item } of this.items.splice(0)) this.handlers.abandon(item, "stopped");
  }

  /**
   * One pass over the queue, oldest first, one attempt per item; the first failed attempt ends the pass
   * (the database is still away: the rest waits for the next round instead of each timing out in turn).
   * Overlapping rounds are skipped.
   */
  private async round(): Promise<void> {
    if (this.running || this.items.length === 0) return;
    this.running = true;
    const batch = this.items.splice(0);
    try {
      while (batch.length > 0) {
        const entry = batch.shift()!;
        if (this.opts.clock() - entry.since > this.opts.maxAgeMs) {
          this.handlers.abandon(entry.item, "too_old");
          continue;
        }
        if (!(await this.handlers.attempt(entry.item))) {
          batch.unshift(entry);
          break;
        }
      }
    } finally {
      this.items.unshift(...batch);
      this.running = false;
    }
  }
}
