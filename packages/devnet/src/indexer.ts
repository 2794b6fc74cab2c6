/**
 * The tx indexer (CometBFT 0.37 "kv" indexer semantics, in memory): every indexed event attribute is
 * posted under "type.key=value", plus tx.hash and tx.height. Searches start from the smallest posting
 * list (or the height range) and filter the rest, so a search costs about its result size.
 */
import type { AbciEvent } from "./events.js";
import { heightRange, matchesValue, type Condition } from "./query.js";

/** ABCI DeliverTx result as CometBFT 0.37 stores it. */
export interface TxResult {
  readonly code: number;
  readonly codespace: string;
  readonly log: string;
  /** TxMsgData protobuf */
  readonly data: Uint8Array;
  readonly gasWanted: bigint;
  readonly gasUsed: bigint;
  readonly events: readonly AbciEvent[];
}

export interface TxRecord {
  /** 64 uppercase hex chars */
  readonly hash: string;
  readonly height: number;
  /** position in the block */
  readonly index: number;
  readonly bytes: Uint8Array;
  readonly result: TxResult;
  /** "type.key" → values, for filtering */
  readonly attrs: ReadonlyMap<string, readonly string[]>;
}

export class TxIndex {
  private readonly byHash = new Map<string, TxRecord>();
  private readonly postings = new Map<string, TxRecord[]>();
  private readonly byHeight = new Map<number, TxRecord[]>();
  private readonly all: TxRecord[] = [];

  /** Indexes one tx; callers add txs in (height, index) order. */
  add(tx: Omit<TxRecord, "attrs">): TxRecord {
    const attrs = new Map<string, string[]>();
    for (const ev of tx.result.events) {
      for (const a of ev.attributes) {
        if (!a.index) continue;
        const key = `${ev.type}.${a.key}`;
        const values = attrs.get(key) ?? [];
        if (values.length === 0) attrs.set(key, values);
        values.push(a.value);
        const posting = `${key}=${a.value}`;
        const list = this.postings.get(posting) ?? [];
        if (list.length === 0) this.postings.set(posting, list);
        if (list[list.length - 1] !== tx) list.push(tx as TxRecord);
      }
    }
    const record: TxRecord = Object.assign(tx, { attrs });
    this.byHash.set(record.hash, record);
    const heightList = this.byHeight.get(record.height) ?? [];
    if (heightList.length === 0) this.byHeight.set(record.height, heightList);
    heightList.push(record);
    this.all.push(record);
    return record;
  }

  /** The tx with `hash` (any case), if indexed at or below `maxHeight`. */
  get(hash: string, maxHeight: number): TxRecord | undefined {
    const tx = this.byHash.get(hash.toUpperCase());
    return tx && tx.height <= maxHeight ? tx : undefined;
  }

  private candidates(conditions: readonly Condition[], maxHeight: number): readonly TxRecord[] {
    let best: readonly TxRecord[] | undefined;
    for (const c of conditions) {
      if (c.op !== "=" || c.key === "tx.height") continue;
      const list = c.key === "tx.hash" ? this.hashList(c.operand) : (this.postings.get(`${c.key}=${c.operand}`) ?? []);
      if (!best || list.length < best.length) best = list;
    }
    if (best) return best;
    const { min, max } = heightRange(conditions);
    if (!conditions.some((c) => c.key === "tx.height")) return this.all;
    const out: TxRecord[] = [];
    for (let h = min; h <= Math.min(max, maxHeight); h++) out.push(...(this.byHeight.get(h) ?? []));
    return out;
  }

  private hashList(operand: string): TxRecord[] {
    const tx = this.byHash.get(operand.toUpperCase());
    return tx ? [tx] : [];
  }

  /**
   * All txs at or below `maxHeight` that satisfy every condition, ordered by (height, index) ascending.
   */
  search(conditions: readonly Condition[], maxHeight: number): TxRecord[] {
    return this.candidates(conditions, maxHeight).filter((tx) => tx.height <= maxHeight && conditions.every((c) => matches(tx, c)));
  }
}

function matches(tx: TxRecord, c: Condition): boolean {
  if (c.key === "tx.height") return matchesValue(String(tx.height), { ...c, numeric: true });
  if (c.key === "tx.hash") return c.op === "EXISTS" || tx.hash === c.operand.toUpperCase();
  const values = tx.attrs.get(c.key);
  return values !== undefined && values.some((v) => matchesValue(v, c));
}
