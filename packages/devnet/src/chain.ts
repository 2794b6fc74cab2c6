/**
 * The devnet's single-validator chain: mempool with CheckTx state, block production, committed ledger
 * and the tx index. Everything is synchronous; the RPC server and the block timer call in.
 */
import { sha256 } from "@cosmjs/crypto";
import { type AnteContext, gasUsed, runAnte } from "./ante.js";
import { dryRunMsgs, validateBasic } from "./bank.js";
import { TxError } from "./codes.js";
import { deliverTx } from "./deliver.js";
import { TxIndex, type TxRecord } from "./indexer.js";
import { CheckOverlay, Ledger } from "./ledger.js";
import { decodeTx, type DecodedTx } from "./txdecode.js";
import { hexUpper, moduleAddress } from "./util.js";

export interface BlockRecord {
  readonly height: number;
  /** header time, epoch ms */
  readonly timeMs: number;
  /** block id hash, 64 uppercase hex */
  readonly hash: string;
  /** previous block's hash; "" at the first block */
  readonly lastBlockHash: string;
  readonly dataHash: string;
  /** app hash after this block, uppercase hex */
  readonly appHash: string;
  readonly txs: readonly TxRecord[];
}

/** CheckTx outcome, as broadcast_tx_sync reports it. */
export interface CheckResult {
  readonly hash: string;
  readonly code: number;
  readonly codespace: string;
  readonly log: string;
  readonly gasWanted: bigint;
  readonly gasUsed: bigint;
}

/** Thrown when the tx is already in the mempool or committed (CometBFT's "tx already exists in cache"). */
export class TxInCacheError extends Error {
  constructor() {
    super("tx already exists in cache");
    this.name = "TxInCacheError";
  }
}

export interface ChainOptions {
  readonly chainId: string;
  readonly prefix: string;
  readonly denom: string;
  /** epoch ms clock for block times */
  readonly now: () => number;
}

export class Chain {
  readonly ledger = new Ledger();
  readonly index = new TxIndex();
  readonly ctx: AnteContext;
  private check: CheckOverlay;
  private mempool: DecodedTx[] = [];
  private readonly mempoolHashes = new Set<string>();
  private readonly blocks = new Map<number, BlockRecord>();
  private readonly heights: number[] = [];
  private readonly blocked: ReadonlySet<string>;
  private latestBlock: BlockRecord | undefined;
  private readonly listeners = new Set<(b: BlockRecord) => void>();

  constructor(private readonly opts: ChainOptions) {
    const feeCollector = moduleAddress("fee_collector", opts.prefix);
    this.ctx = { chainId: opts.chainId, prefix: opts.prefix, denom: opts.denom, minGasPrice: { num: 25n, den: 1000n }, feeCollector };
    this.ledger.ensureAccount(feeCollector, "fee_collector");
    this.blocked = new Set([feeCollector]);
    this.check = new CheckOverlay(this.ledger);
  }

  /** Latest committed block; throws before the first block. */
  get latest(): BlockRecord {
    if (!this.latestBlock) throw new Error("no block yet");
    return this.latestBlock;
  }

  block(height: number): BlockRecord | undefined {
    return this.blocks.get(height);
  }

  /** Height of the n-th newest block (0 = latest); 0 when there are not that many blocks. */
  nthNewestHeight(n: number): number {
    return this.heights[this.heights.length - 1 - n] ?? 0;
  }

  /** Lowest existing height above `height` (for "not available" errors), or undefined. */
  nextHeightAfter(height: number): number | undefined {
    return this.heights.find((h) => h > height);
  }

  /** The block before `height` (skipped heights jumped over), if any. */
  previous(height: number): BlockRecord | undefined {
    for (let h = height - 1; h >= 1; h--) {
      const b = this.blocks.get(h);
      if (b) return b;
    }
    return undefined;
  }

  get mempoolSize(): number {
    return this.mempool.length;
  }

  /** Credits `amountMicro` of `denom` to `address` (creating the account), outside any tx. */
  fund(address: string, denom: string, amountMicro: bigint): void {
    if (amountMicro < 0n) throw new RangeError("amountMicro must be >= 0");
    this.ledger.ensureAccount(address);
    this.ledger.addBalance(address, denom, amountMicro);
  }

  /**
   * CheckTx: decode, stateless checks and ante on the mempool state; admits the tx on success.
   * @throws TxInCacheError for a tx already in the mempool or committed
   */
  checkTx(bytes: Uint8Array): CheckResult {
    let tx: DecodedTx | undefined;
    try {
      tx = decodeTx(bytes, this.opts.prefix);
      if (this.mempoolHashes.has(tx.hash) || this.index.get(tx.hash, Number.MAX_SAFE_INTEGER)) throw new TxInCacheError();
      validateBasic(tx.msgs);
      runAnte(tx, this.check, this.ctx, "check");
    } catch (e) {
      if (!(e instanceof TxError)) throw e;
      const hash = tx?.hash ?? hexUpper(sha256(bytes));
      return { hash, code: e.code, codespace: e.codespace, log: e.log, gasWanted: tx?.gasLimit ?? 0n, gasUsed: 0n };
    }
    this.mempool.push(tx);
    this.mempoolHashes.add(tx.hash);
    return { hash: tx.hash, code: 0, codespace: "", log: "[]", gasWanted: tx.gasLimit, gasUsed: gasUsed(tx) };
  }

  /**
   * Simulate (cosmos.tx.v1beta1.Service/Simulate): ante without signatures or fee floor, then a dry run
   * of the messages, on a scratch overlay of the committed state.
   * @returns gas used by the tx per the devnet gas model
   * @throws TxError when the tx would fail
   */
  simulate(bytes: Uint8Array): bigint {
    const tx = decodeTx(bytes, this.opts.prefix);
    validateBasic(tx.msgs);
    const scratch = new CheckOverlay(this.ledger);
    runAnte(tx, scratch, this.ctx, "simulate");
    dryRunMsgs(scratch, tx.msgs, this.blocked);
    return gasUsed(tx);
  }

  /**
   * Commits a block with every mempool tx. Heights start at 1 and go up by 1 + `skipHeights`.
   * @returns the new block
   */
  produceBlock(skipHeights = 0): BlockRecord {
    const prev = this.latestBlock;
    const height = prev ? prev.height + 1 + Math.max(0, skipHeights) : 1;
    const timeMs = Math.max(this.opts.now(), (prev?.timeMs ?? 0) + 1);
    const txs = this.mempool.map((tx, index) =>
      this.index.add({ hash: tx.hash, height, index, bytes: tx.bytes, result: deliverTx(tx, this.ledger, this.ctx, this.blocked) }),
    );
    this.mempool = [];
    this.mempoolHashes.clear();
    this.check = new CheckOverlay(this.ledger);
    const enc = new TextEncoder();
    const dataHash = hexUpper(sha256(enc.encode(txs.map((t) => t.hash).join(""))));
    const lastBlockHash = prev?.hash ?? "";
    const appHash = hexUpper(sha256(enc.encode(`${prev?.appHash ?? ""}|${height}|${dataHash}`)));
    const hash = hexUpper(sha256(enc.encode(`${this.opts.chainId}|${height}|${timeMs}|${lastBlockHash}|${dataHash}`)));
    const block: BlockRecord = { height, timeMs, hash, lastBlockHash, dataHash, appHash, txs };
    this.blocks.set(height, block);
    this.heights.push(height);
    this.latestBlock = block;
    for (const listener of this.listeners) listener(block);
    return block;
  }

  /** Registers a commit listener; returns its remover. */
  onBlock(listener: (b: BlockRecord) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
