/**
 * Admission control: a bound on the store operations one replica has in flight (queued for a batch or
 * a connection, or running). When it is reached the next operation is refused at once with
 * StoreUnavailableError (503 + Retry-After) instead of queueing into its deadline, so overload costs
 * the refused requests nothing and memory stays bounded.
 */
import { StoreUnavailableError } from "../ports/errors.js";

export class Admission {
  private active = 0;

  /** @param max operations in flight at most (≥ 1) */
  constructor(private readonly max: number) {}

  /** Operations in flight now. */
  get inFlight(): number {
    return this.active;
  }

  /**
   * Runs `fn` when below the bound.
   * @throws StoreUnavailableError at once when `max` operations are already in flight
   */
  async run<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.max) {
      throw new StoreUnavailableError(`store ${operation}: ${this.max} operations already in flight (GATEWAY_DB_QUEUE_MAX)`);
    }
    this.active += 1;
    try {
      return await fn();
    } finally {
      this.active -= 1;
    }
  }
}
