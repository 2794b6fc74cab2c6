/**
 * Maps pg and socket errors to the store port's contract: outages become StoreUnavailableError
 * (503 upstream, never 402); anything else is a bug or an unexpected constraint and is rethrown.
 */
import { StoreUnavailableError } from "../ports/errors.js";

// SQLSTATEs that mean "the database is not able to answer now", not "your request was wrong".
const UNAVAILABLE_SQLSTATES = new Set([
  "57014", // query_canceled: statement_timeout
  "57P01", // admin_shutdown
  "57P02", // crash_shutdown
  "57P03", // cannot_connect_now (starting up, recovery)
  "53300", // too_many_connections
  "53400", // configuration_limit_exceeded
  "25P03", // idle_in_transaction_session_timeout
  // Transient, and the transaction rolled back: a retry later can succeed, so 503 + Retry-After.
  "40P01", // deadlock_detected
  "40001", // serialization_failure
]);

const UNAVAILABLE_SOCKET_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EPIPE",
]);

// pg and pg-pool raise these as plain Errors without a code.
const UNAVAILABLE_MESSAGES = [
  "timeout exceeded when trying to connect",
  "Connection terminated",
  "Client has encountered a connection error",
  "Cannot use a pool after calling end",
  "Query read timeout",
];

/** SQLSTATE unique_violation. */
export const UNIQUE_VIOLATION = "23505";

/** SQLSTATE or node system error code of `err`, when it has one. */
export function errorCode(err: unknown): string | undefined {
  if (typeof err === "object" && err !== null && "code" in err) {
    const code = (err as { code: unknown }).code;
    return typeof code === "string" ? code : undefined;
  }
  return undefined;
}

/** true when `err` means the database cannot be reached or did not answer in time. */
export function isUnavailable(err: unknown): boolean {
  if (err instanceof StoreUnavailableError) return true;
  const code = errorCode(err);
  if (code !== undefined) {
    if (UNAVAILABLE_SQLSTATES.has(code) || code.startsWith("08") || UNAVAILABLE_SOCKET_CODES.has(code)) return true;
  }
  if (err instanceof AggregateError) return err.errors.some(isUnavailable);
  if (err instanceof Error) {
    if (UNAVAILABLE_MESSAGES.some((m) => err.message.includes(m))) return true;
    if (err.cause !== undefined && err.cause !== err) return isUnavailable(err.cause);
  }
  return false;
}

/** Wraps an outage in StoreUnavailableError (with the original as cause); returns other errors unchanged. */
export function toStoreError(err: unknown, operation: string): unknown {
  if (err instanceof StoreUnavailableError || !isUnavailable(err)) return err;
  const detail = err instanceof Error ? err.message : String(err);
  return new StoreUnavailableError(`store ${operation} failed: ${detail}`, { cause: err });
}

/** createAccount() with a client id or deposit memo that another account already has. */
export class AccountExistsError extends Error {
  constructor(
    readonly field: "clientId" | "depositMemo",
    options?: { cause?: unknown },
  ) {
    super(`a prepaid account with this ${field} already exists`, options);
    this.name = "AccountExistsError";
  }
}
