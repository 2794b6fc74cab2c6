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
   * @param forMemo the memo the caller looks for: caches share a result only between lookups of the
   *   same memo, so one invoice's search never answers another's with a result from before its payment
   * @throws ChainUnavailableError
   */
  searchByRecipient(recipient: string, minHeight: number, limit: number, forMemo?: string): Promise<readonly ChainTx[]>;

  /** Latest block height. @throws ChainUnavailableError */
  latestHeight(): Promise<number>;

  /** Block time of `height` (from the block header). @throws ChainUnavailableError */
  blockTime(height: number): Promise<Date>;
}

/** A tx found by a height-range scan, with its position in the block. */
export interface ScannedTx extends ChainTx {
  /** position of the tx in its block (0-based) */
  readonly index: number;
}

/**
 * Range reads for the payment watcher (optional capability of a chain adapter). Same error contract
 * as ChainPort: ChainUnavailableError on timeout, transport failure or a malformed answer.
 */
export interface ChainScanPort {
  /**
   * One page of `tx_search` `transfer.recipient='<addr>' AND tx.height>=minHeight AND tx.height<=maxHeight`,
   * ordered by (height, index) ascending.
   * @param page 1-based; @param perPage 1..100
   * @returns the page and the total number of matches (CometBFT `total_count`)
   * @throws ChainUnavailableError
   */
  scanRecipient(
    recipient: string,
    minHeight: number,
    maxHeight: number,
    page: number,
    perPage: number,
  ): Promise<{ readonly txs: readonly ScannedTx[]; readonly totalCount: number }>;

  /**
   * Header times of the blocks in [minHeight, maxHeight] (at most 20 heights per call: CometBFT
   * `blockchain`). Heights the node does not have (skipped, pruned) are absent from the map.
   * @throws ChainUnavailableError
   */
  blockTimes(minHeight: number, maxHeight: number): Promise<ReadonlyMap<number, Date>>;
}
