/**
 * The error catalogue: every code a client or operator can get from gate402, with its status and
 * meaning, in one place. docs/design.md "Error codes" lists the same (test/docs/error-catalogue.test.ts
 * fails when a code is missing there or its status differs).
 * - DECISION_ERRORS: the decision path (gRPC Check, /auth/forward, /ext-authz/*) — the core's closed
 *   reason catalogue (reasons.ts), with the google.rpc code Envoy sees in CheckResponse.status;
 * - API_ERRORS: the HTTP API around it (invoice status, prepaid accounts and deposits, sign-up, the x402
 *   facilitator, /manage, and the app's error handler), JSON `{error, message}`;
 * - FacilitatorReason: `invalidReason` / `errorReason` of the x402 facilitator (inside a 200);
 * - EXIT_CODES: the `gate402` command line.
 * A code may be in both tables with different statuses: the status belongs to where it is answered
 * (PAYMENT_NOT_FOUND is a 402 with an invoice at Check, a 404 from POST /prepaid/deposit).
 */
import { REASONS, type ReasonCode } from "./reasons.js";

/** google.rpc.Code values used in CheckResponse.status (per googleapis google/rpc/code.proto). */
export const RPC_CODE = {
  OK: 0,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

export type RpcCodeName = keyof typeof RPC_CODE;

/** The google.rpc code name Envoy sees for a denied HTTP status: 401, 429, 503 their own, else PERMISSION_DENIED. */
export function rpcCodeNameForDeny(status: number): Exclude<RpcCodeName, "OK"> {
  if (status === 401) return "UNAUTHENTICATED";
  if (status === 429) return "RESOURCE_EXHAUSTED";
  if (status === 503) return "UNAVAILABLE";
  return "PERMISSION_DENIED";
}

/** The decision path's codes (the JSON `error` of a denied request, the log field and metric label). */
export const DECISION_ERRORS = REASONS;
export type DecisionErrorCode = ReasonCode;

/** One answer of the HTTP API. */
export interface ApiErrorEntry {
  /** the HTTP status */
  readonly status: number;
  /** other statuses the same code answers with, each explained in `meaning` */
  readonly also?: readonly number[];
  /** the endpoints that answer it */
  readonly where: string;
  readonly meaning: string;
}

/** Codes of the HTTP API outside the decision path: JSON `{error, message}`. */
export const API_ERRORS = {
  INVALID_REQUEST: {
    status: 400,
    also: [413, 415],
    where: "every endpoint",
    meaning: "malformed body, query, parameter or header (413: body over 64 KiB; 415: unsupported content type)",
  },
  NOT_FOUND: {
    status: 404,
    where: "every endpoint",
    meaning: "no such endpoint; POST /manage/passes/revoke: not a pass invoice of this gateway",
  },
  INTERNAL: { status: 500, where: "every endpoint", meaning: "unexpected failure (logged; nothing internal shown)" },
  CHAIN_UNAVAILABLE: { status: 503, where: "every endpoint", meaning: "chain RPC unavailable; retry after Retry-After" },
  STORE_UNAVAILABLE: { status: 503, where: "every endpoint", meaning: "database unavailable; retry after Retry-After" },
  INVOICE_NOT_FOUND: {
    status: 404,
    where: "GET /invoices/:id",
    meaning: "not an invoice this gateway issued (altered, or another gateway's)",
  },
  INVALID_CLIENT_CREDENTIALS: {
    status: 401,
    where: "/prepaid/balance, /prepaid/deposit",
    meaning: "unknown client id, or a missing or wrong client key",
  },
  SIGNUP_CLOSED: { status: 403, where: "POST /prepaid/accounts", meaning: "GATEWAY_PREPAID_SIGNUP=closed: operators create accounts" },
  INVALID_SIGNUP_TOKEN: {
    status: 401,
    where: "POST /prepaid/accounts",
    meaning: "GATEWAY_PREPAID_SIGNUP=token: missing or wrong sign-up token",
  },
  RATE_LIMITED: { status: 429, where: "POST /prepaid/accounts", meaning: "too many accounts from this address; retry after Retry-After" },
  PAYMENT_NOT_FOUND: {
    status: 404,
    also: [422],
    where: "POST /prepaid/deposit",
    meaning: "tx not on chain (yet); 422: it failed on chain or pays nothing to the address in the denom",
  },
  WRONG_RESOURCE: { status: 422, where: "POST /prepaid/deposit", meaning: "the tx memo is not this account's deposit memo" },
  AWAITING_CONFIRMATION: { status: 409, where: "POST /prepaid/deposit", meaning: "the tx is short of GATEWAY_MIN_CONFIRMATIONS; retry" },
  PROOF_ALREADY_USED: { status: 409, where: "POST /prepaid/deposit", meaning: "the tx already paid an invoice or another deposit" },
  UNAUTHORIZED: {
    status: 401,
    where: "/manage/*, x402 facilitator",
    meaning: "missing, invalid, expired or revoked bearer token (facilitator: GATEWAY_X402_FACILITATOR_TOKEN)",
  },
  CLIENT_CERTIFICATE_REQUIRED: {
    status: 401,
    where: "/manage/*",
    meaning: "GATEWAY_TLS_MANAGE_CLIENT_CERT: no verified client certificate",
  },
  INVALID_CREDENTIALS: { status: 401, where: "POST /manage/auth/login", meaning: "unknown username or wrong password" },
  FORBIDDEN: { status: 403, where: "/manage/*", meaning: "the operator's role may not do this (viewer writing, or no gate402 role)" },
  BOOTSTRAP_CLOSED: { status: 403, where: "POST /manage/auth/register", meaning: "an admin exists: an admin registers new operators" },
  BOOTSTRAP_DISABLED: { status: 403, where: "POST /manage/auth/register", meaning: "GATEWAY_ADMIN_BOOTSTRAP_TOKEN is not set" },
  NOT_REVOCABLE: {
    status: 400,
    where: "POST /manage/auth/logout",
    meaning: "the token has no token id (OIDC: log out at the identity provider)",
  },
  IDEMPOTENCY_KEY_REQUIRED: { status: 400, where: "POST /manage/transactions", meaning: "no valid Idempotency-Key header" },
  ACCOUNT_NOT_FOUND: { status: 404, where: "/manage/accounts/:id, POST /manage/transactions", meaning: "no prepaid account with this id" },
  OPERATOR_NOT_FOUND: { status: 404, where: "/manage/operators/:username", meaning: "no operator with this username" },
  TRANSACTION_NOT_FOUND: { status: 404, where: "GET /manage/transactions/:id", meaning: "no transaction with this id" },
  OPERATOR_EXISTS: { status: 409, where: "POST /manage/auth/register", meaning: "the username is taken" },
  LAST_ADMIN: { status: 409, where: "/manage/operators/:username", meaning: "disabling or deleting the last enabled admin" },
  IDEMPOTENCY_CONFLICT: { status: 409, where: "POST /manage/transactions", meaning: "the Idempotency-Key was used with another request" },
  ROUTES_INVALID: { status: 422, where: "POST /manage/routes/reload", meaning: "the routes file does not parse; the old table stays" },
  INSUFFICIENT_BALANCE: {
    status: 422,
    where: "POST /manage/transactions",
    meaning: "the debited account has less than the amount; nothing written",
  },
  LOGIN_LOCKED: {
    status: 429,
    where: "POST /manage/auth/login",
    meaning: "too many failed logins for the operator or address; retry after Retry-After",
  },
} as const satisfies Record<string, ApiErrorEntry>;

export type ApiErrorCode = keyof typeof API_ERRORS;

type AlsoOf<E> = E extends { readonly also: readonly (infer S)[] } ? S : never;
type StatusMap = { readonly [C in ApiErrorCode]: (typeof API_ERRORS)[C]["status"] | AlsoOf<(typeof API_ERRORS)[C]> };
/** The statuses `code` may answer with: its status, or one of its `also`. */
export type ApiStatusOf<C extends ApiErrorCode> = StatusMap[C];

/** The body and status of an API error. */
export interface ApiError<C extends ApiErrorCode = ApiErrorCode> {
  readonly status: ApiStatusOf<C>;
  readonly body: { readonly error: C; readonly message: string };
}

/** Builds an API error: the catalogue's status unless `status` picks one of the code's `also`. */
export function apiError<C extends ApiErrorCode>(code: C, message: string, status?: ApiStatusOf<C>): ApiError<C> {
  // The entry's own status is one of ApiStatusOf<C> by definition; TS cannot see it through the generic.
  return { status: status ?? (API_ERRORS[code].status as ApiStatusOf<C>), body: { error: code, message } };
}

/** `invalidReason` (verify) / `errorReason` (settle) of the x402 facilitator, in the snake case x402 uses. */
export type FacilitatorReason = Lowercase<ReasonCode> | "invalid_payload" | "invalid_payment_requirements";

/** A decision code as a facilitator reason. */
export const facilitatorReason = (code: ReasonCode): FacilitatorReason => code.toLowerCase() as Lowercase<ReasonCode>;

/** Exit codes of the `gate402` command line (src/cli.ts, src/cli/commands.ts). */
export const EXIT_CODES = {
  OK: { code: 0, meaning: "done; also --help and --version" },
  FAILURE: {
    code: 1,
    meaning: "the command failed (one line `gate402: <why>`): bad configuration, database or chain unreachable at start",
  },
  LEDGER_BROKEN: { code: 1, meaning: "gate402 verify-ledger found a broken entry (printed as JSON)" },
  USAGE: { code: 2, meaning: "usage error: unknown command or flag, bad flag value, no command" },
  STORE_UNAVAILABLE: { code: 2, meaning: "gate402 verify-ledger, maintain, export-usage: the database could not be read (JSON line)" },
} as const satisfies Record<string, { code: number; meaning: string }>;

export type ExitCodeName = keyof typeof EXIT_CODES;

/** The process exit code of `name`. */
export const exitCode = (name: ExitCodeName): number => EXIT_CODES[name].code;
