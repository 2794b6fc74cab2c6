/**
 * startDevnet: wires the chain, the RPC server, the wallets and the block timer together.
 */
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import { Chain } from "./chain.js";
import { DevnetFaults } from "./faults.js";
import type { RpcNode } from "./rpc.js";
import { createRpcServer } from "./server.js";
import { makeWallets, type DevnetWallet } from "./wallets.js";

export interface DevnetOptions {
  /** default "127.0.0.1" */
  readonly host?: string;
  /** default 0 (ephemeral) */
  readonly port?: number;
  /** default "neutaro-devnet-1" */
  readonly chainId?: string;
  /** block interval in ms; default 1000; 0 = manual mode (call produceBlock()) */
  readonly blockTimeMs?: number;
  /** default "uneutaro"; fees are paid in it */
  readonly denom?: string;
  /**
   * more denoms every wallet holds at genesis (walletBalanceMicro each), e.g. an IBC voucher
   * "ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2"; default none
   */
  readonly extraDenoms?: readonly string[];
  /** bech32 prefix, default "neutaro" */
  readonly prefix?: string;
  /** number of funded wallets, default 10 */
  readonly accounts?: number;
  /** genesis balance of each wallet in micro-units; default 1_000_000_000_000n (1,000,000 NTMPI) */
  readonly walletBalanceMicro?: bigint;
  readonly logger?: Logger;
}

export interface Devnet {
  /** "http://127.0.0.1:PORT" */
  readonly rpcUrl: string;
  readonly chainId: string;
  readonly denom: string;
  /** bech32 address of the fee_collector module account (fees land here) */
  readonly feeCollector: string;
  readonly wallets: readonly DevnetWallet[];
  /** latest block height (≥ 1: block 1 is committed at start) */
  height(): number;
  /** commits a block with every mempool tx now; returns its height */
  produceBlock(): Promise<number>;
  /** resolves once height ≥ h; rejects after timeoutMs (default 10 000) */
  waitForHeight(h: number, timeoutMs?: number): Promise<void>;
  /** credits micro-units of `denom` (default: the devnet denom) to `address`, creating the account */
  fund(address: string, amountMicro: bigint, denom?: string): void;
  /** committed balance in micro-units (bigint) */
  balance(address: string, denom?: string): bigint;
  readonly faults: DevnetFaults;
  /** stops the block timer and the server */
  stop(): Promise<void>;
}

export const DEFAULT_WALLET_BALANCE_MICRO = 1_000_000_000_000n;

function waitFor(chain: Chain, h: number, timeoutMs: number): Promise<void> {
  if (chain.latest.height >= h) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`devnet did not reach height ${h} within ${timeoutMs} ms (at ${chain.latest.height})`));
    }, timeoutMs);
    const off = chain.onBlock((b) => {
      if (b.height < h) return;
      clearTimeout(timer);
      off();
      resolve();
    });
  });
}

/**
 * Starts a devnet: funds the wallets, commits block 1, listens, and starts the block timer.
 * @throws when the port cannot be bound
 */
export async function startDevnet(opts: DevnetOptions = {}): Promise<Devnet> {
  const chainId = opts.chainId ?? "neutaro-devnet-1";
  const denom = opts.denom ?? "uneutaro";
  const chain = new Chain({ chainId, prefix: opts.prefix ?? "neutaro", denom, now: Date.now });
  const wallets = await makeWallets(opts.accounts ?? 10, opts.prefix ?? "neutaro");
  for (const w of wallets) {
    for (const d of [denom, ...(opts.extraDenoms ?? [])]) chain.fund(w.address, d, opts.walletBalanceMicro ?? DEFAULT_WALLET_BALANCE_MICRO);
  }
  const faults = new DevnetFaults();
  const produce = (): number => chain.produceBlock(faults.takeSkipHeights()).height;
  produce();

  let listenAddr = "";
  const node: RpcNode = { chain, faults, chainId, denom, listenAddr: () => listenAddr, produceBlock: produce };
  const rpc = createRpcServer(node, opts.logger);
  const host = opts.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    rpc.server.once("error", reject);
    rpc.server.listen(opts.port ?? 0, host, () => resolve());
  });
  const { port } = rpc.server.address() as AddressInfo;
  listenAddr = `tcp://${host}:${port}`;

  const blockTimeMs = opts.blockTimeMs ?? 1000;
  const tick = (): void => {
    try {
      produce();
    } catch (err) {
      // A bug in one block must not kill the test process; the next tick tries again.
      opts.logger?.error({ err }, "devnet block production failed");
    }
  };
  const timer = blockTimeMs > 0 ? setInterval(tick, blockTimeMs) : undefined;
  opts.logger?.info({ rpcUrl: `http://${host}:${port}`, chainId, blockTimeMs }, "devnet started");

  return {
    rpcUrl: `http://${host}:${port}`,
    chainId,
    denom,
    feeCollector: chain.ctx.feeCollector,
    wallets,
    height: () => chain.latest.height,
    produceBlock: async () => produce(),
    waitForHeight: (h, timeoutMs = 10_000) => waitFor(chain, h, timeoutMs),
    fund: (address, amountMicro, d = denom) => chain.fund(address, d, amountMicro),
    balance: (address, d = denom) => chain.ledger.balance(address, d),
    faults,
    stop: async () => {
      if (timer) clearInterval(timer);
      await rpc.close();
    },
  };
}
