/** The payer port: whatever moves the money. The SDK calls it only after the policy allowed the payment. */

/** One payment to make. */
export interface PaymentOrder {
  /** bech32 recipient */
  readonly payTo: string;
  /** micro-units of `denom` (uneutaro), > 0 */
  readonly amountMicro: bigint;
  readonly denom: string;
  /** tx memo: the invoice id, or the prepaid deposit memo */
  readonly memo: string;
  /** CAIP-2, e.g. "cosmos:Neutaro-1"; a payer refuses a network it cannot pay on */
  readonly network: string;
}

/**
 * Pays and returns once the tx is included in a block (so the server can verify it at once).
 * Errors: throw PaymentNotSentError when certain the amount did not move (the budget is released);
 * anything else is treated as "maybe sent" and stays counted against the caps.
 */
export interface Payer {
  /** bech32 address paying, when known */
  address?(): Promise<string>;
  /** @returns tx hash, 64 hex (any case) */
  pay(order: PaymentOrder): Promise<{ txHash: string }>;
  /**
   * Optional: signs the payment WITHOUT broadcasting, for the x402 signed-transaction payload (the
   * server broadcasts it). Once the result leaves the process the money may move, so the SDK counts it
   * as spent. Throw PaymentNotSentError when nothing was signed.
   */
  sign?(order: PaymentOrder): Promise<SignedOrder>;
}

/** A signed, not broadcast, MsgSend (x402 Cosmos `exact` payload). */
export interface SignedOrder {
  /** sha256 of the TxRaw bytes, 64 hex: the hash the chain will index */
  readonly txHash: string;
  /** base64 TxRaw */
  readonly signedTx: string;
  /** `payload.authorization`: the MsgSend restated; amount in micro-units; timeoutAt unix seconds */
  readonly authorization: {
    readonly from: string;
    readonly to: string;
    readonly amount: string;
    readonly denom: string;
    readonly timeoutAt?: number;
  };
}
