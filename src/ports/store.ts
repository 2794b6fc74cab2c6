/**
 * Store port: every state change that moves money, each one atomic in Postgres (conditional
 * `UPDATE … RETURNING`, unique constraints) so it stays correct with many replicas and concurrent
 * requests. Implemented by src/store/ (pg). Every method throws StoreUnavailableError when the
 * database cannot be reached or times out; expected outcomes are returned as values.
 */
import type { PaymentIndexPort } from "./payments.js";

/** Redemption of an invoice payment (pay-per-request). */
export interface RedeemInput {
  /** the invoice id (HMAC token, also the payment memo) */
  readonly invoiceId: string;
  /** 64 uppercase hex */
  readonly txHash: string;
  /** route id and HTTP method the invoice is bound to */
  readonly routeId: string;
  readonly method: string;
  /** invoice price in uneutaro (bigint) */
  readonly priceMicro: bigint;
  /** amount the tx actually paid to the payment address, in uneutaro (bigint) */
  readonly paidMicro: bigint;
  /** bech32 payer (sender of the first matching transfer) */
  readonly payer: string;
  /** how many requests this payment buys (≥ 1; invoices state it, default 1) */
  readonly uses: number;
  /**
   * ext_authz decision id of the request this use pays for; recorded with the use so a refund
   * (upstream failure) can give it back. Absent: the use is not refundable.
   */
  readonly decisionId?: string;
}

/**
 * - `applied`: this call consumed one use (first or a later one of a multi-use invoice)
 * - `used_up`: invoice id or tx hash already redeemed and no uses left → PROOF_ALREADY_USED
 * - `tx_mismatch`: the invoice was redeemed with another tx, or the tx redeemed another invoice
 * - `tx_is_deposit`: the tx hash was credited as a prepaid deposit; it can never also pay an invoice
 */
export type RedeemOutcome =
  | { readonly kind: "applied"; readonly usesLeft: number }
  | { readonly kind: "used_up" }
  | { readonly kind: "tx_mismatch" }
  | { readonly kind: "tx_is_deposit" };

export type AccountStatus = "active" | "suspended";

/**
 * An asset a prepaid balance is held in (docs/design.md "Prepaid balances per asset"). `primary`: the
 * primary asset (GATEWAY_DENOM on the primary network), whose balance is PrepaidAccount.balanceMicro.
 */
export interface BalanceAsset {
  /** CAIP-2 network id, e.g. "cosmos:Neutaro-1" */
  readonly network: string;
  /** Cosmos SDK bank denom, e.g. "uneutaro" or "ibc/<hash>" */
  readonly denom: string;
  readonly primary: boolean;
}

/** A prepaid balance in an asset other than the primary one: amount in the asset's smallest unit (bigint, ≥ 0). */
export interface AssetBalance {
  readonly network: string;
  readonly denom: string;
  readonly balanceMicro: bigint;
}

/** A route's price in one asset a debit may take (bigint in the asset's smallest unit, > 0). */
export interface DebitPrice extends BalanceAsset {
  readonly amountMicro: bigint;
}

export interface PrepaidAccount {
  readonly clientId: string;
  /** balance in the primary asset, uneutaro (bigint), never negative */
  readonly balanceMicro: bigint;
  /** balances in the other assets the account was ever credited in (network/denom order); absent: none */
  readonly balances?: readonly AssetBalance[];
  /** memo a deposit must carry to be credited to this account */
  readonly depositMemo: string;
  readonly status: AccountStatus;
  readonly createdAt: Date;
}

export interface NewAccount {
  readonly clientId: string;
  /** hex SHA-256 of the secret client key; the key itself is never stored */
  readonly keyHash: string;
  readonly depositMemo: string;
}

/**
 * - `applied`: balance debited, ledger entry written in the same statement/transaction; `balanceMicro` is
 *   the balance after in the asset taken, `paid` the price taken (absent: DebitInput.amountMicro, primary)
 * - `insufficient`: no asset's balance covers its price (balanceMicro: the first asset's balance), nothing written
 * - `bad_credentials`: unknown client id or key hash mismatch, nothing written
 * - `suspended`: account exists but is suspended, nothing written
 */
export type DebitOutcome =
  | {
      readonly kind: "applied";
      readonly balanceMicro: bigint;
      readonly entryId: string;
      /** the price taken, when DebitInput.prices was given */
      readonly paid?: DebitPrice;
      /** with `paid`: the primary asset's balance after the debit (uneutaro) */
      readonly primaryBalanceMicro?: bigint;
    }
  | { readonly kind: "insufficient"; readonly balanceMicro: bigint }
  | { readonly kind: "bad_credentials" }
  | { readonly kind: "suspended" };

export interface DebitInput {
  readonly clientId: string;
  /** hex SHA-256 of the presented key; checked in the same statement as the debit */
  readonly keyHash: string;
  /** price in uneutaro (bigint), > 0 */
  readonly amountMicro: bigint;
  /**
   * The route's prices in the assets it is priced in, in order of preference (pricesOf: primary first):
   * the debit takes the first whose balance covers its price. Absent: the primary asset at amountMicro.
   */
  readonly prices?: readonly DebitPrice[];
  readonly routeId: string;
  readonly method: string;
  /** decision id, stored on the ledger entry for tracing */
  readonly ref: string;
}

export interface DepositInput {
  readonly clientId: string;
  /** 64 uppercase hex */
  readonly txHash: string;
  /** amount credited in the asset's smallest unit (bigint), > 0 */
  readonly amountMicro: bigint;
  /** the asset credited (the deposit tx's denom, a configured asset of its network); absent: the primary */
  readonly asset?: BalanceAsset;
  readonly height: number;
  /** bech32 sender, for the record */
  readonly sender: string;
}

/**
 * - `applied`: credited now; balance after, in the deposit's asset
 * - `replayed`: this tx was already credited to this same account (idempotent repeat)
 * - `tx_used`: the tx hash paid an invoice or was credited to another account
 * - `unknown_account`
 */
export type DepositOutcome =
  | { readonly kind: "applied"; readonly balanceMicro: bigint }
  | { readonly kind: "replayed"; readonly balanceMicro: bigint }
  | { readonly kind: "tx_used" }
  | { readonly kind: "unknown_account" };

/** Redemption state of an invoice id, for GET /invoices/:id. */
export interface RedemptionRecord {
  readonly invoiceId: string;
  readonly txHash: string;
  readonly usesLeft: number;
  readonly redeemedAt: Date;
  /** bech32 payer recorded at the first redemption (absent from stores that do not keep it) */
  readonly payer?: string;
}

/** Per-call options of the decision-path store methods. */
export interface StoreCallOptions {
  /**
   * Unix ms (wall clock) by which the call must have answered: past it the call throws
   * StoreUnavailableError, and a money write that reaches Postgres after it changes nothing.
   * Default: now + the store's own default deadline.
   */
  readonly deadlineAt?: number;
}

export interface StorePort {
  /**
   * Read side of the payments the watcher recorded (optional: a store without it makes every
   * invoice-only proof search the chain).
   */
  readonly payments?: PaymentIndexPort;

  /**
   * Atomically records one use of a paid invoice. The tx hash is claimed in the same transaction
   * in the table shared with deposits (unique), and the invoice id is unique: when the same proof
   * arrives in many concurrent requests, exactly `uses` calls return `applied`.
   */
  redeem(input: RedeemInput, opts?: StoreCallOptions): Promise<RedeemOutcome>;

  /** Redemption of an invoice id, or null when never redeemed. */
  findRedemption(invoiceId: string, opts?: StoreCallOptions): Promise<RedemptionRecord | null>;

  /** Creates a prepaid account with balance 0. Throws if clientId or depositMemo already exists. */
  createAccount(account: NewAccount): Promise<PrepaidAccount>;

  /** Account by client id, or null. */
  getAccount(clientId: string, opts?: StoreCallOptions): Promise<PrepaidAccount | null>;

  /** Account whose deposit memo is `memo`, or null. */
  findAccountByDepositMemo(memo: string): Promise<PrepaidAccount | null>;

  /** true when `keyHash` is the account's key hash (constant-time compare not needed: hashes). */
  checkKey(clientId: string, keyHash: string): Promise<boolean>;

  /**
   * Debits a prepaid account with its ledger entry, atomically (debits arriving together may share
   * one statement and one commit, applied per account in arrival order). Never leaves a negative
   * balance, never debits twice for one call, never debits for a call that threw.
   */
  debit(input: DebitInput, opts?: StoreCallOptions): Promise<DebitOutcome>;

  /**
   * Credits an on-chain deposit: claims the tx hash (unique, shared with invoice redemptions) and
   * raises the balance with a ledger entry, in one transaction. Idempotent per (tx hash, account).
   */
  creditDeposit(input: DepositInput): Promise<DepositOutcome>;

  /** Cheap liveness query (SELECT 1). @throws StoreUnavailableError */
  ping(): Promise<void>;

  /** Closes the pool. */
  close(): Promise<void>;
}
