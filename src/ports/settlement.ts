/**
 * Ports for settling signed payments (the Cosmos `exact` signed-transaction payload): the chain side
 * that reads the signer's account and broadcasts, and the store side that claims a payment once and
 * bounds what is allowed before the chain confirms it. Implemented by src/chain/broadcast.ts and
 * src/store/settlements.ts.
 */
import type { SignerAccount } from "../core/signed-tx/verify.js";

/**
 * Route id of redemptions the facilitator API records (payments to other services' payTo): reports of
 * gate402's own revenue leave them out.
 */
export const FACILITATOR_ROUTE_ID = "x402-facilitator";

/** CheckTx answer of `broadcast_tx_sync`. */
export interface BroadcastResult {
  /** 64 uppercase hex */
  readonly hash: string;
  /** 0 = admitted to the mempool */
  readonly code: number;
  readonly log: string;
}

export interface BroadcastPort {
  /**
   * The auth account of `address` (committed state), or null when the chain has none.
   * @throws ChainUnavailableError
   */
  getAccount(address: string): Promise<SignerAccount | null>;
  /**
   * `broadcast_tx_sync`: returns CheckTx's answer (code ≠ 0: refused, nothing will be included).
   * @throws ChainUnavailableError when no node answered (the tx may or may not have reached one)
   */
  broadcastTxSync(txBytes: Uint8Array): Promise<BroadcastResult>;
}

/** One signed payment to claim before broadcasting. */
export interface ReserveInput {
  /** sha256 of the TxRaw bytes, 64 uppercase hex */
  readonly txHash: string;
  /** the memo the tx is bound to: a gate402 invoice id, or a facilitator nonce */
  readonly invoiceId: string;
  readonly routeId: string;
  readonly method: string;
  /** price in uneutaro (bigint) */
  readonly priceMicro: bigint;
  /** what the MsgSend pays to the payment address, uneutaro (bigint) */
  readonly paidMicro: bigint;
  /** bech32 signer */
  readonly payer: string;
  readonly uses: number;
  /**
   * Allow before the chain confirms: the payer's unconfirmed value (price, uneutaro) is raised by
   * `priceMicro` only while it stays ≤ `capMicro` and the payer is not blocked. false: no bound
   * (the caller waits for inclusion before it allows).
   */
  readonly optimistic: boolean;
  /** GATEWAY_X402_MAX_UNCONFIRMED in uneutaro (bigint) */
  readonly capMicro: bigint;
  /** after this the confirmer gives an unseen tx up */
  readonly expiresAt: Date;
}

/**
 * - `reserved`: tx hash and invoice claimed, redemption written (this call consumed one use)
 * - `replayed`: this tx hash was already claimed (same payload again, or a deposit)
 * - `invoice_used`: the invoice/memo was already redeemed by another tx
 * - `payer_blocked`: a tx of this payer failed after an optimistic allow: no more optimistic allows
 * - `over_cap`: allowing would raise the payer's unconfirmed value above the cap
 */
export type ReserveOutcome =
  | { readonly kind: "reserved"; readonly usesLeft: number }
  | { readonly kind: "replayed" }
  | { readonly kind: "invoice_used" }
  | { readonly kind: "payer_blocked" }
  | { readonly kind: "over_cap"; readonly unconfirmedMicro: bigint };

/** Final state of a settlement: included and succeeded, included and failed, or never seen. */
export type SettlementOutcome =
  | { readonly kind: "confirmed"; readonly height: number }
  | { readonly kind: "failed"; readonly code: number }
  | { readonly kind: "dropped" };

export interface PendingSettlement {
  readonly txHash: string;
  readonly payer: string;
  readonly optimistic: boolean;
  readonly expiresAt: Date;
}

export interface SettlementStorePort {
  /**
   * Claims the tx hash (shared with deposits and tx-hash redemptions), redeems the invoice and, when
   * optimistic, raises the payer's unconfirmed value — all in one transaction, conditionally, so any
   * number of concurrent requests and replicas never exceed the cap nor redeem a payment twice.
   */
  reserve(input: ReserveInput): Promise<ReserveOutcome>;
  /** Undoes a reservation whose broadcast CheckTx refused (or that never reached a node). Idempotent. */
  release(txHash: string): Promise<void>;
  /**
   * Records the chain's verdict on a pending settlement, once: lowers the payer's unconfirmed value
   * and, for `failed` of an optimistic allow, blocks the payer from optimistic settlement.
   * @returns the settlement, or null when it was not pending (already finished, unknown)
   */
  finish(txHash: string, outcome: SettlementOutcome): Promise<PendingSettlement | null>;
  /** Oldest pending settlements first, at most `limit`. */
  listPending(limit: number): Promise<readonly PendingSettlement[]>;
  /** Whether this tx hash or this memo was already used to pay (read-only; for verify). */
  isSpent(txHash: string, invoiceId: string): Promise<boolean>;
  /** Payer state: unconfirmed value (uneutaro) and whether optimistic settlement is blocked. */
  payerState(payer: string): Promise<{ readonly unconfirmedMicro: bigint; readonly blocked: boolean }>;
}
