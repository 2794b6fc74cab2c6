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
}
