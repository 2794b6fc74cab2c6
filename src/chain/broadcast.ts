/**
 * BroadcastPort over CometBFT 0.37 RPC endpoints (@cosmjs): the signer's auth account (abci_query
 * /cosmos.auth.v1beta1.Query/Account) and `broadcast_tx_sync`. Endpoints are tried in order; every
 * transport failure becomes a ChainUnavailableError.
 */
import { fromBase64, toHex } from "@cosmjs/encoding";
import { StargateClient } from "@cosmjs/stargate";
import { HttpClient, Tendermint37Client } from "@cosmjs/tendermint-rpc";
import type { SignerAccount } from "../core/signed-tx/verify.js";
import { ChainUnavailableError } from "../ports/errors.js";
import type { BroadcastPort, BroadcastResult } from "../ports/settlement.js";

/** CometBFT's answer for a tx already in the mempool or cache: a JSON-RPC error, not a CheckTx code. */
const IN_CACHE = /tx already exists in cache/i;
/** SDK ErrTxInMempoolCache */
const CODE_TX_IN_CACHE = 19;

interface Endpoint {
  readonly url: string;
  readonly comet: Tendermint37Client;
  readonly stargate: StargateClient;
}

export class NeutaroBroadcaster implements BroadcastPort {
  private readonly endpoints: Endpoint[];

  /** @param rpcUrls CometBFT RPC URLs, tried in order; @param timeoutMs per request */
  constructor(rpcUrls: readonly string[], timeoutMs: number) {
    this.endpoints = rpcUrls.map((url) => {
      const comet = Tendermint37Client.create(new HttpClient(url, timeoutMs));
      return { url, comet, stargate: StargateClient.create(comet) };
    });
  }

  private async first<T>(rpcMethod: string, fn: (e: Endpoint) => Promise<T>): Promise<T> {
    let last: unknown;
    for (const e of this.endpoints) {
      try {
        return await fn(e);
      } catch (err) {
        last = err;
      }
    }
    throw new ChainUnavailableError(`${rpcMethod} failed on every RPC endpoint: ${(last as Error)?.message}`, rpcMethod, { cause: last });
  }

  async getAccount(address: string): Promise<SignerAccount | null> {
    const acc = await this.first("abci_query", (e) => e.stargate.getAccount(address));
    if (!acc) return null;
    const pubkey = acc.pubkey && acc.pubkey.type === "tendermint/PubKeySecp256k1" ? fromBase64(acc.pubkey.value as string) : undefined;
    return { accountNumber: BigInt(acc.accountNumber), sequence: BigInt(acc.sequence), pubkey };
  }

  async broadcastTxSync(txBytes: Uint8Array): Promise<BroadcastResult> {
    try {
      return await this.first("broadcast_tx_sync", async (e) => {
        const r = await e.comet.broadcastTxSync({ tx: txBytes });
        return { hash: toHex(r.hash).toUpperCase(), code: r.code, log: r.log ?? "" };
      });
    } catch (err) {
      const cause = (err as Error).cause as Error | undefined;
      if (cause && IN_CACHE.test(cause.message)) return { hash: "", code: CODE_TX_IN_CACHE, log: cause.message };
      throw err;
    }
  }

  disconnect(): void {
    for (const e of this.endpoints) e.stargate.disconnect();
  }
}
