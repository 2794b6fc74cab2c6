/**
 * Auth + bank state: accounts (number, sequence, pubkey) and balances in micro-units (bigint).
 * `Ledger` is the committed (DeliverTx) state; `CheckOverlay` is the CheckTx state of CometBFT's
 * mempool: deltas over the committed ledger, so funding the ledger shows through at once.
 */

/** An account as Cosmos SDK 0.47 x/auth keeps it. */
export interface AccountInfo {
  readonly address: string;
  readonly accountNumber: number;
  readonly sequence: number;
  /** compressed secp256k1 pubkey (33 bytes) once a tx revealed it */
  readonly pubkey: Uint8Array | undefined;
  /** set for module accounts (e.g. "fee_collector") */
  readonly moduleName?: string;
}

/** Read/write view shared by the committed ledger and the CheckTx overlay. */
export interface LedgerView {
  account(address: string): AccountInfo | undefined;
  /** balance in micro-units of `denom` (0n when none) */
  balance(address: string, denom: string): bigint;
  /** adds (or with a negative delta, removes) micro-units; callers check sufficiency first */
  addBalance(address: string, denom: string, deltaMicro: bigint): void;
  incrementSequence(address: string): void;
  setPubkey(address: string, pubkey: Uint8Array): void;
  /** creates the account (next account number) when it does not exist, as x/bank does on receipt */
  ensureAccount(address: string): void;
}

interface MutableAccount {
  address: string;
  accountNumber: number;
  sequence: number;
  pubkey: Uint8Array | undefined;
  moduleName?: string;
}

export class Ledger implements LedgerView {
  private readonly accounts = new Map<string, MutableAccount>();
  private readonly balances = new Map<string, Map<string, bigint>>();
  private nextAccountNumber = 0;

  account(address: string): AccountInfo | undefined {
    return this.accounts.get(address);
  }

  balance(address: string, denom: string): bigint {
    return this.balances.get(address)?.get(denom) ?? 0n;
  }

  /** All non-zero balances of `address`, sorted by denom (as x/bank AllBalances). */
  allBalances(address: string): Array<{ denom: string; amountMicro: bigint }> {
    const coins = [...(this.balances.get(address) ?? new Map<string, bigint>()).entries()];
    return coins
      .filter(([, amount]) => amount > 0n)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([denom, amountMicro]) => ({ denom, amountMicro }));
  }

  addBalance(address: string, denom: string, deltaMicro: bigint): void {
    let coins = this.balances.get(address);
    if (!coins) this.balances.set(address, (coins = new Map()));
    const next = (coins.get(denom) ?? 0n) + deltaMicro;
    if (next < 0n) throw new Error(`negative balance for ${address} in ${denom}`);
    coins.set(denom, next);
  }

  incrementSequence(address: string): void {
    const acc = this.accounts.get(address);
    if (acc) acc.sequence += 1;
  }

  setPubkey(address: string, pubkey: Uint8Array): void {
    const acc = this.accounts.get(address);
    if (acc && !acc.pubkey) acc.pubkey = pubkey;
  }

  ensureAccount(address: string, moduleName?: string): void {
    if (this.accounts.has(address)) return;
    const acc: MutableAccount = { address, accountNumber: this.nextAccountNumber++, sequence: 0, pubkey: undefined };
    if (moduleName) acc.moduleName = moduleName;
    this.accounts.set(address, acc);
  }
}

/** CheckTx state: pending fee deductions, sequence bumps and pubkeys of mempool txs. */
export class CheckOverlay implements LedgerView {
  private readonly balanceDelta = new Map<string, bigint>();
  private readonly seqDelta = new Map<string, number>();
  private readonly pubkeys = new Map<string, Uint8Array>();

  constructor(private readonly base: Ledger) {}

  account(address: string): AccountInfo | undefined {
    const acc = this.base.account(address);
    if (!acc) return undefined;
    const seq = acc.sequence + (this.seqDelta.get(address) ?? 0);
    return { ...acc, sequence: seq, pubkey: acc.pubkey ?? this.pubkeys.get(address) };
  }

  balance(address: string, denom: string): bigint {
    return this.base.balance(address, denom) + (this.balanceDelta.get(`${address}|${denom}`) ?? 0n);
  }

  addBalance(address: string, denom: string, deltaMicro: bigint): void {
    const key = `${address}|${denom}`;
    this.balanceDelta.set(key, (this.balanceDelta.get(key) ?? 0n) + deltaMicro);
  }

  incrementSequence(address: string): void {
    this.seqDelta.set(address, (this.seqDelta.get(address) ?? 0) + 1);
  }

  setPubkey(address: string, pubkey: Uint8Array): void {
    this.pubkeys.set(address, pubkey);
  }

  ensureAccount(): void {
    // CheckTx never creates accounts: only the fee payer is touched and it must exist.
  }
}
