/**
 * Chain port: read-only view of Neutaro (Cosmos SDK 0.47 / CometBFT 0.37) that payment verification
 * needs. Implemented by src/chain/ over @cosmjs/stargate. Every method throws ChainUnavailableError
 * on timeout, transport failure or a malformed answer; "not found" is `null`, never an exception.
 */

/** One `transfer` event of a tx (SDK bank module), amounts split per denom. */
export interface Transfer {
  /** bech32 sender, e.g. "neutaro1…" */
  readonly sender: string;
  /** bech32 recipient */
  readonly recipient: string;
  readonly denom: string;
  /** amount in micro-units of `denom` (bigint) */
  readonly amountMicro: bigint;
}

/** A transaction as indexed by the node, with what verification needs already decoded. */
export interface ChainTx {
  /** 64 uppercase hex chars */
  readonly hash: string;
  readonly height: number;
  /** ABCI result code; 0 = success */
  readonly code: number;
  /** tx body memo (decoded with decodeTxRaw); "" when none */
  readonly memo: string;
  /** every `transfer` event of the tx, fee transfer included (the verifier filters) */
  readonly transfers: readonly Transfer[];
}

export interface ChainPort {
  /**
   * Looks a tx up by hash.
   * @param hash 64 hex chars, any case (callers validate first)
   * @returns the tx, or null when the node does not know it
   * @throws ChainUnavailableError
   */
  getTx(hash: string): Promise<ChainTx | null>;

  /**
   * Finds txs that credit `recipient` (query `transfer.recipient='<addr>' AND tx.height>=minHeight`),
   * newest first, up to `limit`. Memo is not indexed on chain: callers filter by `memo`.
   * @throws ChainUnavailableError
   */
  searchByRecipient(recipient: string, minHeight: number, limit: number): Promise<readonly ChainTx[]>;

  /** Latest block height. @throws ChainUnavailableError */
  latestHeight(): Promise<number>;

  /** Block time of `height` (from the block header). @throws ChainUnavailableError */
  blockTime(height: number): Promise<Date>;
}
