/**
 * One payer's signed payments are settled in sequence order within this replica.
 *
 * Why: an agent's concurrent payments (sequences n, n+1, …) reach gate402 in any order, CheckTx admits
 * them only in order, and the per-payer cap on unconfirmed value is reserved before the broadcast. When
 * later sequences took the cap first, their predecessors were refused at the cap and never broadcast,
 * so the later ones could not pass CheckTx either: under a burst, none settled. Here a payment waits
 * until the payment with the previous sequence has settled (allowed or refused), or the chain already
 * expects its sequence, or `maxWaitMs` has passed (then it goes on as before: correctness never depends
 * on this ordering, only liveness does; the cap itself is enforced in Postgres).
 */
export class PayerOrder {
  /** payer → sequences settled here lately, and the waiters to wake when one more settles */
  private readonly payers = new Map<string, { settled: Set<bigint>; waiters: Set<() => void> }>();

  /**
   * @param maxWaitMs longest wait for the previous sequence, ms
   * @param maxPayers payers remembered (least recently used forgotten first)
   */
  constructor(
    private readonly maxWaitMs = 1000,
    private readonly maxPayers = 10_000,
  ) {}

  /**
   * Runs `settle` for the payment of `payer` with `sequence` once it is its turn (see the class docs).
   * @param nextSequence the sequence the chain expects next for `payer` (committed state)
   */
  async run<T>(payer: string, sequence: bigint, nextSequence: bigint, settle: () => Promise<T>): Promise<T> {
    const state = this.stateOf(payer);
    for (const s of state.settled) if (s < nextSequence - 1n) state.settled.delete(s);
    await this.turn(state, sequence, nextSequence);
    try {
      return await settle();
    } finally {
      state.settled.add(sequence);
      for (const wake of [...state.waiters]) wake();
    }
  }

  private turn(state: { settled: Set<bigint>; waiters: Set<() => void> }, sequence: bigint, nextSequence: bigint): Promise<void> {
    const ready = () => sequence <= nextSequence || state.settled.has(sequence - 1n);
    if (ready()) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        state.waiters.delete(check);
        resolve();
      };
      const check = () => void (ready() && done());
      const timer = setTimeout(done, this.maxWaitMs);
      state.waiters.add(check);
    });
  }

  private stateOf(payer: string) {
    let state = this.payers.get(payer);
    if (state) {
      this.payers.delete(payer);
    } else {
      state = { settled: new Set(), waiters: new Set() };
      if (this.payers.size >= this.maxPayers) {
        const [oldest, old] = this.payers.entries().next().value!;
        if (old.waiters.size === 0) this.payers.delete(oldest);
      }
    }
    this.payers.set(payer, state);
    return state;
  }
}
