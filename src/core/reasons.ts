/**
 * The closed catalogue of decision reasons (docs/design.md "Error codes"). The same code is used unchanged
 * in the JSON `error` field, the log line and the metric label.
 */
export const REASONS = {
  PAYMENT_REQUIRED: { status: 402, message: "Payment required" },
  INVALID_PROOF: { status: 400, message: "Malformed payment proof" },
  PAYMENT_NOT_FOUND: { status: 402, message: "No matching payment found on chain" },
  PAYMENT_PENDING: { status: 402, message: "Payment not in a block yet; retry after Retry-After with the same proof, do not pay again" },
  AWAITING_CONFIRMATION: { status: 402, message: "Payment found but not yet confirmed" },
  INSUFFICIENT_AMOUNT: { status: 402, message: "Payment is less than the price" },
  INVOICE_EXPIRED: { status: 402, message: "Invoice expired before it was paid" },
  WRONG_RESOURCE: { status: 402, message: "Proof is bound to another route, method or price" },
  PROOF_ALREADY_USED: { status: 402, message: "This payment has already been redeemed" },
  SETTLEMENT_REFUSED: {
    status: 402,
    message: "Signed payment not settled before confirmation (payer over its unconfirmed cap or blocked); pay with a confirmed transaction",
  },
  INSUFFICIENT_BALANCE: { status: 402, message: "Prepaid balance too low" },
  PASS_EXPIRED: { status: 402, message: "Pass expired; renew it" },
  PASS_REVOKED: { status: 402, message: "Pass revoked" },
  INVALID_CLIENT_CREDENTIALS: { status: 401, message: "Unknown client id or wrong key" },
  ACCOUNT_SUSPENDED: { status: 403, message: "Prepaid account is suspended" },
  RATE_LIMITED: { status: 429, message: "Too many requests" },
  INVALID_REQUEST: { status: 400, message: "Malformed request" },
  CHAIN_UNAVAILABLE: { status: 503, message: "Chain RPC unavailable; retry later, do not pay again" },
  STORE_UNAVAILABLE: { status: 503, message: "Database unavailable; retry later" },
} as const satisfies Record<string, { status: number; message: string }>;

export type ReasonCode = keyof typeof REASONS;

/** HTTP status for a reason code. */
export function statusOf(code: ReasonCode): number {
  return REASONS[code].status;
}
