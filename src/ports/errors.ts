/**
 * Exceptional outcomes of the ports. Expected outcomes (not found, not enough balance) are values;
 * these are outages, which the core turns into 503 — never 402 (docs/design.md: an outage must not make
 * clients pay).
 */

/** The chain RPC did not answer in time or answered garbage. Maps to 503 CHAIN_UNAVAILABLE. */
export class ChainUnavailableError extends Error {
  constructor(
    message: string,
    readonly rpcMethod?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "ChainUnavailableError";
  }
}

/** Postgres unreachable, pool exhausted or a query timed out. Maps to 503 STORE_UNAVAILABLE. */
export class StoreUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "StoreUnavailableError";
  }
}
