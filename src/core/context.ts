import type { ChainPort } from "../ports/chain.js";
import type { PaymentAsset } from "./assets.js";
import type { StorePort } from "../ports/store.js";
import type { InvoiceCodec } from "./invoices.js";
import type { PaymentTerms } from "./payment-required.js";
import type { RevocationList } from "./passes/revocations.js";
import type { PassTokens } from "./passes/tokens.js";
import type { PriceList } from "./pricing.js";
import type { RateLimiter } from "./rate-limit.js";
import type { SignedTxDeps } from "./signed-tx/settle.js";

/** Observations the core reports; the app turns them into metrics and log lines (no I/O in the core). */
export interface CoreEvents {
  invoiceIssued(e: { routeId: string; invoiceId: string }): void;
  /** a pay-per-request proof or a deposit was accepted or refused */
  payment(e: {
    kind: "invoice" | "deposit";
    result: "accepted" | "rejected";
    reason: string;
    routeId?: string;
    invoiceId?: string;
    txHash?: string;
    payer?: string;
    amountMicro?: bigint;
    decisionId?: string;
  }): void;
  /**
   * money earned by an allowed request, in the smallest unit of `denom` (bigint); `denom` absent: the
   * primary asset (uneutaro); set only for the other accepted assets
   */
  revenue(e: { routeId: string; method: "invoice" | "prepaid"; amountMicro: bigint; denom?: string; network?: string }): void;
  prepaidDebit(e: {
    result: "applied" | "insufficient" | "bad_credentials" | "suspended" | "error";
    clientId: string;
    routeId: string;
    amountMicro: bigint;
    decisionId: string;
  }): void;
  /** an invoice payment was accepted: once per payment (not per use), by what it bought; uneutaro */
  offerRevenue?(e: { offer: "single" | "bundle" | "pass"; amountMicro: bigint }): void;
  /** a pass token was issued for `scope` */
  passIssued?(e: { scope: string; jti: string; payer: string; decisionId: string }): void;
  /** a presented pass was checked (in memory) */
  passCheck?(e: { result: "valid" | "expired" | "revoked" | "invalid" | "wrong_scope" }): void;
}

export const noEvents: CoreEvents = { invoiceIssued() {}, payment() {}, revenue() {}, prepaidDebit() {} };

/** One network's chain port and its last known height (no I/O; 0 when unknown). */
export interface NetworkPorts {
  readonly chain: ChainPort;
  readonly lastKnownHeight: () => number;
}

/** Everything the decision core depends on, injected (ports, clock, randomness). */
export interface CoreDeps {
  readonly terms: PaymentTerms;
  readonly prices: PriceList;
  readonly codec: InvoiceCodec;
  /** the primary network's chain */
  readonly chain: ChainPort;
  /** accepted assets, the primary first (GatewayConfig.assets); absent: the primary asset of `terms` only */
  readonly assets?: readonly PaymentAsset[];
  /**
   * The chain of another network (the registry's stack for that CAIP-2 id), with its last known height
   * (no I/O); undefined for a network not configured. Absent: only the primary network.
   */
  readonly networkChain?: (network: string) => NetworkPorts | undefined;
  readonly store: StorePort;
  /** seconds */
  readonly invoiceTtlSeconds: number;
  readonly minConfirmations: number;
  /** GATEWAY_LATE_GRACE, seconds; default DEFAULT_LATE_GRACE_SECONDS (payment-rules.ts) */
  readonly lateGraceSeconds?: number;
  readonly prepaidEnabled: boolean;
  /** last known chain height, without I/O (kept fresh in the background); 0 when unknown */
  readonly lastKnownHeight: () => number;
  /** seconds until the next block is expected (Retry-After of a pending payment), without I/O; default 1 */
  readonly nextBlockSeconds?: () => number;
  /** unix ms */
  readonly clock: () => number;
  /** decision ids */
  readonly newId: () => string;
  /** invoice nonces (URL-safe) */
  readonly nonce: () => string;
  readonly events: CoreEvents;
  /**
   * Per-client budget for proofs that need a chain lookup (rate-limit.ts), keyed by clientKey();
   * absent: no limit. Plain 402s, prepaid debits and free routes never take from it.
   */
  readonly chainLookupLimiter?: RateLimiter;
  /** settlement of signed-transaction x402 payloads (issue 16); absent: such payloads are refused */
  readonly signedTx?: SignedTxDeps;
  /** pass tokens and the revoked list (src/core/passes/); absent: passes are neither sold nor honoured */
  readonly passes?: { readonly tokens: PassTokens; readonly revoked: RevocationList };
  /**
   * GATEWAY_CHECK_DEADLINE_MS: every store call of one Check must answer within this many ms of the
   * Check's start (wall clock, not `clock`, which tests may freeze); absent: the store's own default.
   */
  readonly checkDeadlineMs?: number;
}
