/**
 * Estimates when the next block is due from the heights the background tracker sees, for the
 * `Retry-After` of a pending payment. No I/O: fed by `observe`, read by `nextBlockSeconds`.
 */
export class BlockClock {
  private height = 0;
  /** unix ms when `height` was first seen */
  private seenAt = 0;
  /** ms per block, moving average; undefined until two heights were seen */
  private intervalMs: number | undefined;

  /** @param fallbackMs block interval assumed until one was measured (Neutaro: ~6 s) */
  constructor(
    private readonly clock: () => number,
    private readonly fallbackMs = 6000,
  ) {}

  /** Records the latest height seen at clock(). */
  observe(height: number): void {
    const now = this.clock();
    if (height <= this.height) return;
    if (this.height > 0) {
      const sample = (now - this.seenAt) / (height - this.height);
      this.intervalMs = this.intervalMs === undefined ? sample : 0.7 * this.intervalMs + 0.3 * sample;
    }
    this.height = height;
    this.seenAt = now;
  }

  /** Whole seconds until the next block is expected, at least 1. */
  nextBlockSeconds(): number {
    const interval = this.intervalMs ?? this.fallbackMs;
    const due = this.seenAt + interval - this.clock();
    return Math.max(1, Math.ceil((due > 0 ? due : interval) / 1000));
  }
}
