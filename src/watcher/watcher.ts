/**
 * The payment watcher: follows the chain from a cursor stored in Postgres and records every tx that
 * credits the payment address in `payments`, crediting deposits by memo on the way. One replica at a
 * time writes (AdvisoryLease); the others stand by and take over within GATEWAY_WATCHER_LEASE_POLL_MS.
 *
 * Each pass reads [cursor + 1 − rereadBlocks, head − margin] (at most maxBlocksPerPass blocks):
 * - the margin keeps it behind the head, where the node's tx indexer may not have caught up;
 * - the re-read window reads the last blocks again, so a tx the index showed only later is recorded
 *   anyway (known tx hashes are skipped before any work, so re-reading costs one query per page).
 * The cursor moves after the range is recorded: a crash re-reads it, and every write is idempotent.
 */
import type { Logger } from "pino";
import type { ChainScanPort, ScannedTx } from "../ports/chain.js";
import type { BalanceAsset, StorePort } from "../ports/store.js";
import type { Invoice } from "../core/invoices.js";
import { classify, markDuplicatesInBatch, type PaymentRow } from "./classify.js";
import type { AdvisoryLease } from "./lease.js";
import type { WatcherMetrics } from "./metrics.js";
import { depositAccounts, insertPayments, knownHashes, readCursor, saveCursor } from "./record.js";
import { blockTimesFor, observed, scanRange } from "./scan.js";

export interface WatcherSettings {
  /** blocks below head the watcher stays (GATEWAY_WATCHER_MARGIN_BLOCKS) */
  readonly marginBlocks: number;
  /** blocks below the cursor each pass re-reads (GATEWAY_WATCHER_REREAD_BLOCKS) */
  readonly rereadBlocks: number;
  /** first height when no cursor is stored; undefined: the head at first start */
  readonly startHeight?: number;
  /** GATEWAY_MIN_CONFIRMATIONS: nothing younger is recorded (deposits are credited from here) */
  readonly minConfirmations: number;
  /** most blocks one pass reads before it saves the cursor (default 500) */
  readonly maxBlocksPerPass?: number;
}

export interface WatcherDeps {
  readonly chain: ChainScanPort & { latestHeight(): Promise<number> };
  readonly store: Pick<StorePort, "creditDeposit">;
  readonly lease: AdvisoryLease;
  readonly payTo: string;
  readonly denom: string;
  /** InvoiceCodec.verify */
  readonly verifyInvoice: (memo: string) => Invoice | null;
  /**
   * whether deposit memos credit prepaid accounts; when false such payments are recorded as `unmatched`,
   * never credited
   */
  readonly creditDeposits: boolean;
  /**
   * The assets of this network deposits are credited in (config order; migration 0012: a balance per asset).
   * Default: `denom` as the primary asset.
   */
  readonly depositAssets?: readonly BalanceAsset[];
  readonly settings: WatcherSettings;
  readonly metrics: WatcherMetrics;
  readonly log: Logger;
}

/** What one pass did. */
export interface PassResult {
  /** payments newly recorded */
  readonly recorded: number;
  /** cursor after the pass */
  readonly height: number;
  /** chain head seen */
  readonly head: number;
  /** blocks still to read up to head − margin (0: caught up) */
  readonly behind: number;
}

/** One pass at a time over the leased session; see the module docs. */
export class PaymentWatcher {
  private readonly times = new Map<number, Date>();

  constructor(private readonly deps: WatcherDeps) {}

  /**
   * Reads the next range and records it. Needs the lease.
   * @throws ChainUnavailableError when the chain does not answer; pg errors when the session is gone
   */
  async pass(): Promise<PassResult> {
    const { settings: s, lease, payTo, metrics } = this.deps;
    const session = lease.session;
    const head = await this.deps.chain.latestHeight();
    const target = head - Math.max(s.marginBlocks, s.minConfirmations - 1);
    let cursor = await readCursor(session, payTo);
    if (cursor === null) {
      cursor = s.startHeight !== undefined ? s.startHeight - 1 : Math.max(0, target);
      await saveCursor(session, payTo, cursor);
      this.deps.log.info({ height: cursor }, "payment watcher: no cursor stored, starting here");
    }
    if (target <= cursor) return this.report(head, cursor, 0, 0);
    const to = Math.min(target, cursor + (s.maxBlocksPerPass ?? 500));
    const from = Math.max(1, cursor + 1 - s.rereadBlocks);
    let recorded = 0;
    for await (const page of scanRange(this.deps.chain, payTo, from, to)) recorded += await this.ingest(page, cursor);
    await saveCursor(session, payTo, to);
    this.forgetTimesBelow(from);
    metrics.height.set(to);
    return this.report(head, to, target - to, recorded);
  }

  private report(head: number, height: number, behind: number, recorded: number): PassResult {
    this.deps.metrics.lag.set(Math.max(0, head - height));
    return { recorded, height, head, behind };
  }

  /** Records the txs of one page not recorded yet; `cursor` tells re-read hits (index lag) apart. */
  private async ingest(page: readonly ScannedTx[], cursor: number): Promise<number> {
    const session = this.deps.lease.session;
    const known = await knownHashes(
      session,
      page.map((t) => t.hash),
    );
    // Chain order (height, then position in block), whatever order the RPC returned: the first counting
    // payment for an invoice is THE payment, later ones are duplicates.
    const fresh = page.filter((t) => !known.has(t.hash)).sort((a, b) => a.height - b.height || a.index - b.index);
    if (fresh.length === 0) return 0;
    const times = await blockTimesFor(
      this.deps.chain,
      fresh.map((t) => t.height),
      this.times,
    );
    const payments = observed(fresh, times);
    const memos = payments.map((p) => p.memo).filter((m) => m !== "" && this.deps.verifyInvoice(m) === null);
    const accounts = this.deps.creditDeposits ? await depositAccounts(session, memos) : new Map<string, string>();
    const classified = payments.map((p) =>
      classify(p, {
        payTo: this.deps.payTo,
        denom: this.deps.denom,
        verifyInvoice: this.deps.verifyInvoice,
        depositClient: (m) => accounts.get(m),
        ...(this.deps.depositAssets ? { depositDenoms: this.deps.depositAssets.map((a) => a.denom) } : {}),
      }),
    );
    const rows: PaymentRow[] = [];
    for (const row of markDuplicatesInBatch(classified)) rows.push(row.status === "deposit" ? await this.credit(row) : row);
    const inserted = await insertPayments(session, rows);
    for (const r of inserted) this.deps.metrics.recorded(r.status);
    const late = inserted.filter((r) => r.height <= cursor);
    if (late.length > 0)
      this.deps.log.warn(
        { count: late.length, heights: [...new Set(late.map((r) => r.height))] },
        "payment watcher: re-read found txs the index showed late",
      );
    return inserted.length;
  }

  /**
   * Credits a deposit through the store's one claim per tx hash (spent_txs), shared with POST
   * /prepaid/deposit, so whoever comes first credits and the other replays.
   */
  private async credit(row: PaymentRow): Promise<PaymentRow> {
    const asset = this.deps.depositAssets?.find((a) => a.denom === row.denom);
    const out = await this.deps.store.creditDeposit({
      clientId: row.clientId!,
      txHash: row.txHash,
      amountMicro: row.amountMicro,
      height: row.height,
      sender: row.sender,
      ...(asset ? { asset } : {}),
    });
    if (out.kind === "applied" || out.kind === "replayed") {
      if (out.kind === "applied") {
        const fields = { clientId: row.clientId, txHash: row.txHash, amountMicro: row.amountMicro.toString(), denom: row.denom };
        this.deps.log.info(fields, "payment watcher: deposit credited");
      }
      return row;
    }
    this.deps.log.warn(
      { clientId: row.clientId, txHash: row.txHash, outcome: out.kind },
      "payment watcher: deposit memo but the credit was refused",
    );
    return { ...row, status: "unmatched" };
  }

  private forgetTimesBelow(height: number): void {
    for (const h of this.times.keys()) if (h < height) this.times.delete(h);
  }
}
