/**
 * Reading a height range from the chain's tx index: every tx crediting the payment address, page by
 * page in (height, index) order, with the time of its block.
 */
import type { ChainScanPort, ScannedTx } from "../ports/chain.js";
import { ChainUnavailableError } from "../ports/errors.js";
import type { ObservedPayment } from "./classify.js";

/** CometBFT's largest `per_page`. */
export const PAGE_SIZE = 100;
/** CometBFT `blockchain` returns at most 20 block metas per call. */
const BLOCKCHAIN_SPAN = 20;

/**
 * Pages of `transfer.recipient='<payTo>' AND tx.height>=from AND tx.height<=to`, ascending. The upper
 * bound is at or below what the index has settled, so pages do not shift while they are read; a tx
 * the index shows late is caught by the next pass's re-read window.
 * @throws ChainUnavailableError
 */
export async function* scanRange(chain: ChainScanPort, payTo: string, from: number, to: number): AsyncGenerator<readonly ScannedTx[]> {
  for (let page = 1; ; page++) {
    const { txs, totalCount } = await chain.scanRecipient(payTo, from, to, page, PAGE_SIZE);
    if (txs.length > 0) yield txs;
    if (txs.length === 0 || page * PAGE_SIZE >= totalCount) return;
  }
}

/**
 * Block header times for `heights`, filling `cache` (one `blockchain` call per 20 heights).
 * @throws ChainUnavailableError, also when the node has no header for a height that has txs
 */
export async function blockTimesFor(
  chain: ChainScanPort,
  heights: readonly number[],
  cache: Map<number, Date>,
): Promise<Map<number, Date>> {
  const missing = [...new Set(heights)].filter((h) => !cache.has(h)).sort((a, b) => a - b);
  while (missing.length > 0) {
    const lo = missing[0]!;
    const hi = lo + BLOCKCHAIN_SPAN - 1;
    const times = await chain.blockTimes(lo, hi);
    for (const [h, t] of times) cache.set(h, t);
    while (missing.length > 0 && missing[0]! <= hi) {
      const h = missing.shift()!;
      if (!cache.has(h)) throw new ChainUnavailableError(`no block header for height ${h} (it has txs)`, "blockchain");
    }
  }
  return cache;
}

/** Joins scanned txs with their block times. */
export function observed(txs: readonly ScannedTx[], times: ReadonlyMap<number, Date>): ObservedPayment[] {
  return txs.map((t) => ({
    hash: t.hash,
    height: t.height,
    index: t.index,
    code: t.code,
    memo: t.memo,
    blockTime: times.get(t.height)!,
    transfers: t.transfers,
  }));
}
