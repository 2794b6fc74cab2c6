/**
 * gate402/client — the agent SDK: a fetch that pays HTTP 402 invoices in NTMPI under a spending policy.
 * Core path uses web APIs only (fetch, atob, TextDecoder, crypto.randomUUID); fileStore and
 * clawpurseCliPayer load Node modules lazily. See docs/client.md.
 */
export { createPaidFetch, type PaidFetch, type PaidFetchOptions, type PrepaidOptions } from "./paid-fetch.js";
export { compilePolicy, PolicyConfigError, type Amount, type ApprovalRequest, type CompiledPolicy, type SpendingPolicy } from "./policy.js";
export { PaymentNotSentError, PaymentRejectedError, PolicyViolationError, type PolicyViolationCode } from "./errors.js";
export { readInvoice, type ClientInvoice, type InvoiceAcceptance } from "./invoice.js";
export { pickOffer, readOffers, type ClientOffer, type OfferPreference } from "./offers.js";
export type { Payer, PaymentOrder } from "./payer.js";
export { cosmjsPayer, type CosmjsPayer, type CosmjsPayerOptions } from "./cosmjs-payer.js";
export { clawpurseCliPayer, ClawpurseCliError, parseTxHash, type ClawpurseCliOptions } from "./clawpurse-payer.js";
export { fileStore } from "./file-store.js";
export { memoryStore, type ClientState, type PolicyStore, type Receipt } from "./state.js";
export type { PaidRequestInit } from "./request.js";
