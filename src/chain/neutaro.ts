import { decodeTxRaw } from "@cosmjs/proto-signing";
import { StargateClient } from "@cosmjs/stargate";
import { HttpClient, Tendermint37Client } from "@cosmjs/tendermint-rpc";
import { toHex } from "@cosmjs/encoding";
import type { ChainPort, ChainScanPort, ChainTx, ScannedTx } from "../ports/chain.js";
import { ChainUnavailableError } from "../ports/errors.js";
import { transfersOf, type TxEvent } from "./transfers.js";

function memoOf(txBytes: Uint8Array): string {
  try {
    return decodeTxRaw(txBytes).body.memo;
  } catch {
    return ""; // undecodable tx bytes cannot carry our memo
  }
}

function toChainTx(hash: string, height: number, code: number, events: readonly TxEvent[], txBytes: Uint8Array): ChainTx {
  return { hash: hash.toUpperCase(), height, code, memo: memoOf(txBytes), transfers: transfersOf(events) };
}

/**
 * ChainPort over ONE CometBFT 0.37 RPC endpoint, through @cosmjs/stargate. No retries or caching
 * here (see resilient.ts and cache.ts). Creating it does no I/O: the Tendermint37 client is built
 * directly (Neutaro runs CometBFT 0.37), so a node that is down at start-up costs nothing until used.
 * Every failure is a ChainUnavailableError naming the RPC method.
 */
export class NeutaroChain implements ChainPort, ChainScanPort {
  private readonly comet: Tendermint37Client;
  private readonly stargate: StargateClient;

  /** @param rpcUrl CometBFT RPC URL; @param timeoutMs per-request timeout in ms */
  constructor(
    readonly rpcUrl: string,
    timeoutMs: number,
  ) {
    this.comet = Tendermint37Client.create(new HttpClient(rpcUrl, timeoutMs));
    this.stargate = StargateClient.create(this.comet);
  }

  private async call<T>(rpcMethod: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw new ChainUnavailableError(`${rpcMethod} on ${this.rpcUrl} failed: ${(err as Error).message}`, rpcMethod, { cause: err });
    }
  }

  async getTx(hash: string): Promise<ChainTx | null> {
    const tx = await this.call("tx", () => this.stargate.getTx(hash.toUpperCase()));
    return tx ? toChainTx(tx.hash, tx.height, tx.code, tx.events, tx.tx) : null;
  }

  async searchByRecipient(recipient: string, minHeight: number, limit: number): Promise<readonly ChainTx[]> {
    const query = `transfer.recipient='${recipient}' AND tx.height>=${Math.max(1, minHeight)}`;
    const res = await this.call("tx_search", () =>
      this.comet.txSearch({ query, page: 1, per_page: Math.min(100, limit), order_by: "desc" }),
    );
    return res.txs.map((t) => toChainTx(toHex(t.hash), t.height, t.result.code, t.result.events, t.tx));
  }

  async scanRecipient(
    recipient: string,
    minHeight: number,
    maxHeight: number,
    page: number,
    perPage: number,
  ): Promise<{ txs: ScannedTx[]; totalCount: number }> {
    const query = `transfer.recipient='${recipient}' AND tx.height>=${Math.max(1, minHeight)} AND tx.height<=${maxHeight}`;
    const res = await this.call("tx_search", () => this.comet.txSearch({ query, page, per_page: Math.min(100, perPage), order_by: "asc" }));
    const txs = res.txs.map((t) => ({ ...toChainTx(toHex(t.hash), t.height, t.result.code, t.result.events, t.tx), index: t.index }));
    return { txs, totalCount: res.totalCount };
  }

  async blockTimes(minHeight: number, maxHeight: number): Promise<Map<number, Date>> {
    const res = await this.call("blockchain", () => this.comet.blockchain(minHeight, maxHeight));
    return new Map(res.blockMetas.map((m) => [m.header.height, new Date(m.header.time.getTime())]));
  }

  async latestHeight(): Promise<number> {
    return this.call("status", () => this.stargate.getHeight());
  }

  async blockTime(height: number): Promise<Date> {
    const block = await this.call("block", () => this.stargate.getBlock(height));
    return new Date(block.header.time);
  }

  /** Node facts for start-up checks: chain id, tx indexing, catching up. */
  async nodeStatus(): Promise<{ chainId: string; txIndex: boolean; catchingUp: boolean; height: number }> {
    const s = await this.call("status", () => this.comet.status());
    return {
      chainId: s.nodeInfo.network,
      txIndex: s.nodeInfo.other.get("tx_index") === "on",
      catchingUp: s.syncInfo.catchingUp,
      height: s.syncInfo.latestBlockHeight,
    };
  }

  disconnect(): void {
    this.stargate.disconnect();
  }
}
