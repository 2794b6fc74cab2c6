/**
 * The budget: rolling hourly/daily caps enforced by reservation, and the receipt book. Every change is
 * check + reserve + persist under one in-process mutex, so N concurrent calls can never together cross
 * a cap: the (N+1)th reservation sees the first N. Reservations are persisted before the payer runs, so
 * a crash mid-payment still counts the money (fail closed).
 */
import { formatCoins } from "../money.js";
import { PolicyViolationError } from "./errors.js";
import { Mutex } from "./mutex.js";
import type { CompiledPolicy } from "./policy.js";
import { emptyState, type ClientState, type PolicyStore, type Receipt } from "./state.js";

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** Fields of a receipt the caller supplies; status and display amount are filled in. */
export type NewReceipt = Omit<Receipt, "status" | "amount" | "amountMicro" | "paidAt" | "settledAt" | "refusal" | "used"> & {
  readonly amountMicro: bigint;
};

export class Budget {
  private state: ClientState | undefined;
  private readonly mutex = new Mutex();
  /** tx hashes a live call in this process is presenting: not handed to another call */
  private readonly inUse = new Set<string>();

  /** @param now unix ms clock (injected for tests) */
  constructor(
    private readonly store: PolicyStore,
    private readonly policy: CompiledPolicy,
    private readonly now: () => number,
  ) {}

  /** Runs `fn` on a copy of the state under the mutex; persists the copy, then adopts it. */
  private transact<T>(fn: (s: ClientState) => T): Promise<T> {
    return this.mutex.run(async () => {
      this.state ??= (await this.store.load()) ?? emptyState();
      const next = structuredClone(this.state);
      const out = fn(next);
      const horizon = this.now() - DAY_MS;
      next.spends = next.spends.filter((s) => s.at > horizon);
      await this.store.save(next);
      this.state = next;
      return out;
    });
  }

  private read<T>(fn: (s: ClientState) => T): Promise<T> {
    return this.mutex.run(async () => fn((this.state ??= (await this.store.load()) ?? emptyState())));
  }

  /**
   * Holds `amountMicro` against the hourly and daily caps and persists the hold.
   * @returns reservation id for commit/release
   * @throws PolicyViolationError HOURLY_CAP | DAILY_CAP (nothing reserved)
   */
  reserve(amountMicro: bigint): Promise<string> {
    return this.transact((s) => {
      const now = this.now();
      const within = (ms: number) => s.spends.filter((x) => x.at > now - ms).reduce((sum, x) => sum + BigInt(x.amountMicro), 0n);
      const { maxPerHourMicro: hour, maxPerDayMicro: day } = this.policy;
      if (hour !== undefined && within(HOUR_MS) + amountMicro > hour) {
        throw new PolicyViolationError(
          "HOURLY_CAP",
          `paying ${formatCoins(amountMicro)} would exceed maxPerHour ${formatCoins(hour)} (spent or reserved in the last hour: ${formatCoins(within(HOUR_MS))})`,
        );
      }
      if (day !== undefined && within(DAY_MS) + amountMicro > day) {
        throw new PolicyViolationError(
          "DAILY_CAP",
          `paying ${formatCoins(amountMicro)} would exceed maxPerDay ${formatCoins(day)} (spent or reserved in the last 24 h: ${formatCoins(within(DAY_MS))})`,
        );
      }
      const id = globalThis.crypto.randomUUID();
      s.spends.push({ id, amountMicro: amountMicro.toString(), at: now, state: "reserved" });
      return id;
    });
  }

  /** Frees a reservation whose payment certainly did not leave (PaymentNotSentError, approver said no). */
  release(reservationId: string): Promise<void> {
    return this.transact((s) => {
      s.spends = s.spends.filter((x) => x.id !== reservationId);
    });
  }

  /** Marks the reservation spent and records the receipt (status unredeemed), in one persisted step. */
  commit(reservationId: string, r: NewReceipt): Promise<Receipt> {
    return this.transact((s) => {
      const spend = s.spends.find((x) => x.id === reservationId);
      if (spend) spend.state = "spent";
      const receipt: Receipt = {
        ...r,
        txHash: r.txHash.toUpperCase(),
        amountMicro: r.amountMicro.toString(),
        amount: formatCoins(r.amountMicro),
        paidAt: new Date(this.now()).toISOString(),
        status: "unredeemed",
      };
      s.receipts.push(receipt);
      this.inUse.add(receipt.txHash);
      return receipt;
    });
  }

  /**
   * Hands out the newest unredeemed receipt matching `match` that no live call is presenting, marking it
   * in use. Used to reuse a proof paid before a crash instead of paying again.
   */
  claimUnredeemed(match: (r: Receipt) => boolean): Promise<Receipt | null> {
    return this.read((s) => {
      const r = [...s.receipts].reverse().find((x) => x.status === "unredeemed" && !this.inUse.has(x.txHash) && match(x));
      if (!r) return null;
      this.inUse.add(r.txHash);
      return structuredClone(r);
    });
  }

  /** Lets another call use this receipt again (its outcome is still unknown: 503, network error). */
  unclaim(txHash: string): void {
    this.inUse.delete(txHash);
  }

  /** Records the server's verdict on a presented proof or deposit. */
  settle(txHash: string, status: "redeemed" | "refused", refusal?: string): Promise<void> {
    return this.transact((s) => {
      const r = s.receipts.find((x) => x.txHash === txHash);
      if (r) Object.assign(r, { status, settledAt: new Date(this.now()).toISOString(), ...(refusal !== undefined && { refusal }) });
      this.inUse.delete(txHash);
    });
  }

  /** Counts one more request served by the bundle or pass paid in `txHash` (receipt field `used`). */
  recordUse(txHash: string): Promise<void> {
    return this.transact((s) => {
      const r = s.receipts.find((x) => x.txHash === txHash);
      if (r) r.used = (r.used ?? 0) + 1;
    });
  }

  /** Every receipt ever recorded, oldest first (a copy: safe to serialise or mutate). */
  receipts(): Promise<Receipt[]> {
    return this.read((s) => structuredClone(s.receipts));
  }
}
