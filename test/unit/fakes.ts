import type { ChainPort, ChainTx } from "../../src/ports/chain.js";
import { ChainUnavailableError, StoreUnavailableError } from "../../src/ports/errors.js";
import type {
  DebitInput,
  DebitOutcome,
  DepositInput,
  DepositOutcome,
  NewAccount,
  PrepaidAccount,
  RedeemInput,
  RedeemOutcome,
  RedemptionRecord,
  StorePort,
} from "../../src/ports/store.js";

type TxClaim = { readonly kind: "invoice"; readonly invoiceId: string } | { readonly kind: "deposit"; readonly clientId: string };

/**
 * In-memory StorePort. Each method's state change runs synchronously after one `await`, so it is atomic
 * with respect to other calls, as the Postgres statements are: the tx hash is claimed once in a table shared
 * by redemptions and deposits, the invoice id is unique, a debit never leaves a negative balance.
 */
export class FakeStore implements StorePort {
  readonly redemptions = new Map<string, RedemptionRecord & { payer: string; paidMicro: bigint }>();
  readonly txClaims = new Map<string, TxClaim>();
  readonly accounts = new Map<string, { account: PrepaidAccount; keyHash: string }>();
  readonly ledger: { clientId: string; amountMicro: bigint; ref: string }[] = [];
  /** when set, every call throws StoreUnavailableError (Postgres down) */
  down = false;
  calls = 0;

  constructor(private readonly clock: () => number = Date.now) {}

  private async enter(): Promise<void> {
    this.calls++;
    await Promise.resolve();
    if (this.down) throw new StoreUnavailableError("connect ECONNREFUSED 127.0.0.1:5432");
  }

  async redeem(input: RedeemInput): Promise<RedeemOutcome> {
    await this.enter();
    const claim = this.txClaims.get(input.txHash);
    if (claim?.kind === "deposit") return { kind: "tx_is_deposit" };
    if (claim && claim.invoiceId !== input.invoiceId) return { kind: "tx_mismatch" };
    const red = this.redemptions.get(input.invoiceId);
    if (red && red.txHash !== input.txHash) return { kind: "tx_mismatch" };
    if (red) {
      if (red.usesLeft === 0) return { kind: "used_up" };
      this.redemptions.set(input.invoiceId, { ...red, usesLeft: red.usesLeft - 1 });
      return { kind: "applied", usesLeft: red.usesLeft - 1 };
    }
    this.txClaims.set(input.txHash, { kind: "invoice", invoiceId: input.invoiceId });
    this.redemptions.set(input.invoiceId, {
      invoiceId: input.invoiceId,
      txHash: input.txHash,
      usesLeft: input.uses - 1,
      redeemedAt: new Date(this.clock()),
      payer: input.payer,
      paidMicro: input.paidMicro,
    });
    return { kind: "applied", usesLeft: input.uses - 1 };
  }

  async findRedemption(invoiceId: string): Promise<RedemptionRecord | null> {
    await this.enter();
    const r = this.redemptions.get(invoiceId);
    return r ? { invoiceId: r.invoiceId, txHash: r.txHash, usesLeft: r.usesLeft, redeemedAt: r.redeemedAt, payer: r.payer } : null;
  }

  async createAccount(a: NewAccount): Promise<PrepaidAccount> {
    await this.enter();
    if (this.accounts.has(a.clientId)) throw new Error(`duplicate key value violates unique constraint (client_id=${a.clientId})`);
    if ([...this.accounts.values()].some((x) => x.account.depositMemo === a.depositMemo)) throw new Error("duplicate deposit memo");
    const account: PrepaidAccount = {
      clientId: a.clientId,
      balanceMicro: 0n,
      depositMemo: a.depositMemo,
      status: "active",
      createdAt: new Date(this.clock()),
    };
    this.accounts.set(a.clientId, { account, keyHash: a.keyHash });
    return account;
  }

  async getAccount(clientId: string): Promise<PrepaidAccount | null> {
    await this.enter();
    return this.accounts.get(clientId)?.account ?? null;
  }

  async findAccountByDepositMemo(memo: string): Promise<PrepaidAccount | null> {
    await this.enter();
    return [...this.accounts.values()].find((x) => x.account.depositMemo === memo)?.account ?? null;
  }

  async checkKey(clientId: string, keyHash: string): Promise<boolean> {
    await this.enter();
    return this.accounts.get(clientId)?.keyHash === keyHash;
  }

  async debit(input: DebitInput): Promise<DebitOutcome> {
    await this.enter();
    const row = this.accounts.get(input.clientId);
    if (!row || row.keyHash !== input.keyHash) return { kind: "bad_credentials" };
    if (row.account.status === "suspended") return { kind: "suspended" };
    if (row.account.balanceMicro < input.amountMicro) return { kind: "insufficient", balanceMicro: row.account.balanceMicro };
    const balanceMicro = row.account.balanceMicro - input.amountMicro;
    this.accounts.set(input.clientId, { ...row, account: { ...row.account, balanceMicro } });
    this.ledger.push({ clientId: input.clientId, amountMicro: -input.amountMicro, ref: input.ref });
    return { kind: "applied", balanceMicro, entryId: String(this.ledger.length) };
  }

  async creditDeposit(input: DepositInput): Promise<DepositOutcome> {
    await this.enter();
    const row = this.accounts.get(input.clientId);
    if (!row) return { kind: "unknown_account" };
    const claim = this.txClaims.get(input.txHash);
    if (claim?.kind === "deposit" && claim.clientId === input.clientId) return { kind: "replayed", balanceMicro: row.account.balanceMicro };
    if (claim) return { kind: "tx_used" };
    this.txClaims.set(input.txHash, { kind: "deposit", clientId: input.clientId });
    const balanceMicro = row.account.balanceMicro + input.amountMicro;
    this.accounts.set(input.clientId, { ...row, account: { ...row.account, balanceMicro } });
    this.ledger.push({ clientId: input.clientId, amountMicro: input.amountMicro, ref: input.txHash });
    return { kind: "applied", balanceMicro };
  }

  async ping(): Promise<void> {
    await this.enter();
  }

  async close(): Promise<void> {}

  /** Test helper (an operator action, not part of the port). */
  suspend(clientId: string): void {
    const row = this.accounts.get(clientId)!;
    this.accounts.set(clientId, { ...row, account: { ...row.account, status: "suspended" } });
  }

  balanceOf(clientId: string): bigint | undefined {
    return this.accounts.get(clientId)?.account.balanceMicro;
  }
}

/**
 * In-memory ChainPort: an indexed node. "Not found" is null; `down` makes every call throw
 * ChainUnavailableError as an unreachable RPC does. Counts calls per method.
 */
export class FakeChain implements ChainPort {
  readonly txs = new Map<string, ChainTx>();
  readonly blockTimes = new Map<number, Date>();
  height = 1_204_331;
  down = false;
  readonly calls = { getTx: 0, searchByRecipient: 0, latestHeight: 0, blockTime: 0 };

  /** Includes `tx` in the chain at its height (and raises the head to it). */
  include(tx: ChainTx, blockTime?: Date): ChainTx {
    this.txs.set(tx.hash, tx);
    if (blockTime) this.blockTimes.set(tx.height, blockTime);
    this.height = Math.max(this.height, tx.height);
    return tx;
  }

  private async enter(method: keyof FakeChain["calls"]): Promise<void> {
    this.calls[method]++;
    await Promise.resolve();
    if (this.down) throw new ChainUnavailableError(`${method}: no answer within 1500 ms`, method);
  }

  async getTx(hash: string): Promise<ChainTx | null> {
    await this.enter("getTx");
    return this.txs.get(hash.toUpperCase()) ?? null;
  }

  async searchByRecipient(recipient: string, minHeight: number, limit: number): Promise<readonly ChainTx[]> {
    await this.enter("searchByRecipient");
    return [...this.txs.values()]
      .filter((t) => t.height >= minHeight && t.transfers.some((x) => x.recipient === recipient))
      .sort((a, b) => b.height - a.height)
      .slice(0, limit);
  }

  async latestHeight(): Promise<number> {
    await this.enter("latestHeight");
    return this.height;
  }

  async blockTime(height: number): Promise<Date> {
    await this.enter("blockTime");
    const t = this.blockTimes.get(height);
    if (!t) throw new ChainUnavailableError(`block ${height}: height not available`, "block");
    return t;
  }
}
