/**
 * What this replica knows about redeemed invoices without asking Postgres: one lane per invoice id so
 * concurrent copies of one proof reach the database one at a time, and, while a lane has copies
 * waiting, the fact that its invoice is used up: the first copy redeems, the copies queued behind it
 * are answered from memory. A replay flood therefore costs no write transaction and no pooled
 * connection per copy; copies arriving after the lane drained are refused by the read that precedes
 * every redemption. "Used up" is forgotten when the lane drains because it does not stay true: a
 * refund (an upstream 5xx, refunds.ts) gives a use back, on whichever replica received the access log.
 * Uses redeemed for a Check that had already been answered 503 (the commit's answer came back late)
 * are owed to the next copy.
 */

/** invoice id → the tx hash that used it up */
export class SpentInvoices {
  private readonly spent = new Map<string, string>();
  private readonly lanes = new Map<string, Promise<unknown>>();
  private readonly reads = new Map<string, Promise<unknown>>();
  /** invoice id → uses redeemed for Checks that were already answered 503, owed to the next copy */
  private readonly owed = new Map<string, { txHash: string; uses: number }>();

  /** @param capacity most ids remembered; the oldest are forgotten first (the database still knows) */
  constructor(private readonly capacity: number) {}

  /** The tx hash that used up `invoiceId`, when known here. */
  usedUpBy(invoiceId: string): string | undefined {
    return this.spent.get(invoiceId);
  }

  /** Records that `invoiceId` has no uses left, until its lane drains. */
  markUsedUp(invoiceId: string, txHash: string): void {
    if (this.capacity <= 0 || this.spent.has(invoiceId) || !this.lanes.has(invoiceId)) return;
    if (this.spent.size >= this.capacity) this.spent.delete(this.spent.keys().next().value!);
    this.spent.set(invoiceId, txHash);
  }

  /** Runs `fn` after every earlier call for the same `key` has settled (one at a time per key). */
  inLane<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const before = this.lanes.get(key);
    const mine = before ? before.then(fn, fn) : fn();
    const tail = mine.catch(() => undefined);
    this.lanes.set(key, tail);
    void tail.then(() => {
      if (this.lanes.get(key) !== tail) return;
      this.lanes.delete(key);
      this.spent.delete(key);
    });
    return mine;
  }

  /** Runs `fn` unless a call for the same `key` is already running; then shares its result. */
  shared<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const running = this.reads.get(key);
    if (running) return running as Promise<T>;
    const mine = fn().finally(() => this.reads.delete(key));
    this.reads.set(key, mine);
    return mine;
  }

  /** Records one use of `invoiceId` that was redeemed after its Check had been answered 503. */
  owe(invoiceId: string, txHash: string): void {
    const o = this.owed.get(invoiceId);
    this.owed.set(invoiceId, { txHash, uses: (o?.uses ?? 0) + 1 });
  }

  /** true when a use of `invoiceId` is owed. */
  isOwed(invoiceId: string): boolean {
    return this.owed.has(invoiceId);
  }

  /** Takes one owed use of `invoiceId` paid by `txHash`: an applied outcome, or undefined when none. */
  takeOwed(invoiceId: string, txHash: string): { readonly kind: "applied"; readonly usesLeft: number } | undefined {
    const o = this.owed.get(invoiceId);
    if (!o || o.txHash !== txHash) return undefined;
    if (o.uses <= 1) this.owed.delete(invoiceId);
    else this.owed.set(invoiceId, { txHash, uses: o.uses - 1 });
    // The database already counted this use; what is left there is unknown here and unused by callers.
    return { kind: "applied", usesLeft: 0 };
  }
}
