/** The shape of one payable offer (its own file: errors.ts and invoice.ts both need it). */
/** One payable offer, normalised from whichever source carried it. */
export interface ClientInvoice {
  readonly source: "x402-v2-header" | "x402-v1-body" | "clawpurse-body";
  /** token to send back in X-Payment-Proof (`<invoiceId>:<txHash>`) */
  readonly invoiceId: string;
  /** memo the payment must carry (gate402: equal to the invoice id) */
  readonly memo: string;
  /** bech32 recipient */
  readonly payTo: string;
  /** price in micro-units of `denom` (uneutaro), > 0 */
  readonly amountMicro: bigint;
  /** e.g. "uneutaro" */
  readonly denom: string;
  /** CAIP-2, e.g. "cosmos:Neutaro-1" */
  readonly network: string;
}
