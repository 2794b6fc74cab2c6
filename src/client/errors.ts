/**
 * Typed errors of the agent SDK. Each carries what a caller needs to account for money: the invoice it
 * refused or paid, and the tx hash when a payment left the wallet.
 */
import type { ClientInvoice } from "./invoice-shape.js";

/** Closed catalogue of reasons a payment is refused before any money leaves. */
export type PolicyViolationCode =
  | "PER_REQUEST_CAP"
  | "HOURLY_CAP"
  | "DAILY_CAP"
  | "PAYTO_NOT_ALLOWED"
  | "HOST_NOT_ALLOWED"
  | "NETWORK_NOT_ALLOWED"
  | "DENOM_NOT_ALLOWED"
  | "DENIED_BY_APPROVER"
  | "MALFORMED_INVOICE";

/** The spending policy (or invoice validation) refused to pay. No payment was made. */
export class PolicyViolationError extends Error {
  override readonly name = "PolicyViolationError";
  constructor(
    readonly code: PolicyViolationCode,
    message: string,
    /** the invoice that was refused, when it could be read */
    readonly invoice?: ClientInvoice,
  ) {
    super(`${code}: ${message}`);
  }
}

/**
 * We paid (txHash) but the server still refused the request: the retry with the proof got another 402
 * (or the prepaid top-up was not credited). Never followed by a second payment for the same request;
 * the receipt is kept (`exportReceipts()`) so a human can claim it.
 */
export class PaymentRejectedError extends Error {
  override readonly name = "PaymentRejectedError";
  constructor(
    message: string,
    /** 64 uppercase hex */
    readonly txHash: string,
    readonly invoice: ClientInvoice | undefined,
    /** HTTP status of the refusing response */
    readonly status: number,
    /** JSON `error` code of the refusing response (docs/design.md catalogue), when present */
    readonly serverCode?: string,
  ) {
    super(message);
  }
}

/**
 * Thrown by a payer when it is certain that the amount did not move (signing failed, the node rejected
 * the tx at CheckTx, the tx failed on chain). The budget reservation is released. Any other payer error
 * is treated as "maybe sent": the reservation stays counted (fail closed).
 */
export class PaymentNotSentError extends Error {
  override readonly name = "PaymentNotSentError";
  constructor(
    message: string,
    readonly txHash?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
