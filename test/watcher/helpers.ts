/**
 * Test parts for the payment watcher: a gateway on a fast devnet with many wallets, pre-signed payment
 * txs (explicit account number and sequence, as test/devnet/load.test.ts does) broadcast a few per
 * block, invoices issued with the gateway's own codec, and standalone watchers.
 */
import { sha256 } from "@cosmjs/crypto";
import { toHex } from "@cosmjs/encoding";
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import { SigningStargateClient, StargateClient } from "@cosmjs/stargate";
import { TxRaw } from "cosmjs-types/cosmos/tx/v1beta1/tx";
import pino, { type Logger } from "pino";
import { startGateway, type RunningGateway, type StartOptions } from "../../src/app/gateway.js";
import { loadConfig } from "../../src/config/load.js";
import { InvoiceCodec, type Invoice } from "../../src/core/invoices.js";
import { startDevnet, type Devnet } from "@gate402/devnet";
import { createScanChain } from "../../src/chain/index.js";
import { startPaymentWatcher, type StartedWatcher } from "../../src/watcher/index.js";
import type { PassResult } from "../../src/watcher/watcher.js";
import { freshDatabase, type TestDatabase } from "../support/db.js";

export const INVOICE_SECRET = "watcher-test-invoice-secret-0123456789abcdef";
export const FEE = { amount: [{ denom: "uneutaro", amount: "5000" }], gas: "200000" };

/** Fast watcher settings for tests. */
export const FAST_WATCHER_ENV: Record<string, string> = {
  GATEWAY_WATCHER_POLL_MS: "50",
  GATEWAY_WATCHER_LEASE_POLL_MS: "200",
  GATEWAY_WATCHER_MARGIN_BLOCKS: "1",
  GATEWAY_WATCHER_REREAD_BLOCKS: "10",
  GATEWAY_RPC_HEALTH_MS: "0",
};

export interface WatcherStack {
  readonly devnet: Devnet;
  readonly db: TestDatabase;
  readonly gw: RunningGateway;
  readonly payTo: string;
  readonly codec: InvoiceCodec;
  readonly log: Logger;
  readonly query: StargateClient;
  stop(): Promise<void>;
}

export interface WatcherStackOptions {
  readonly accounts?: number;
  readonly blockTimeMs?: number;
  readonly env?: Record<string, string>;
  readonly start?: Partial<StartOptions>;
}

/** Devnet (wallet 0 receives) + fresh database + gateway with the watcher on (unless env turns it off). */
export async function startWatcherStack(o: WatcherStackOptions = {}): Promise<WatcherStack> {
  const devnet = await startDevnet({ blockTimeMs: o.blockTimeMs ?? 50, accounts: o.accounts ?? 4 });
  const db = await freshDatabase();
  const payTo = devnet.wallets[0]!.address;
  const config = loadConfig(
    {
      GATEWAY_HOST: "127.0.0.1",
      GATEWAY_GRPC_PORT: "0",
      GATEWAY_HTTP_PORT: "0",
      GATEWAY_PAYMENT_ADDRESS: payTo,
      GATEWAY_RPC: devnet.rpcUrl,
      GATEWAY_CHAIN_ID: devnet.chainId,
      GATEWAY_INVOICE_SECRET: INVOICE_SECRET,
      JWT_SECRET: "watcher-test-jwt-secret-0123456789abcdef0123",
      DATABASE_URL: db.url,
      LOG_LEVEL: process.env["TEST_LOG_LEVEL"] ?? "silent",
      ...FAST_WATCHER_ENV,
      ...o.env,
    },
    "production",
  );
  const log = pino({ level: config.logLevel });
  const gw = await startGateway(config, { log, ...o.start });
  const codec = new InvoiceCodec(INVOICE_SECRET, payTo, config.denom, config.chainId);
  const query = await StargateClient.connect(devnet.rpcUrl);
  return {
    devnet,
    db,
    gw,
    payTo,
    codec,
    log,
    query,
    async stop() {
      query.disconnect();
      await gw.stop(500);
      await devnet.stop();
      await db.drop();
    },
  };
}

/** A standalone watcher on the stack's database and devnet (a second replica, with its own chain port). */
export function extraWatcher(s: WatcherStack, instance: string, onPass?: (r: PassResult) => void): StartedWatcher {
  const scan = createScanChain([s.devnet.rpcUrl], 2000);
  const w = startPaymentWatcher({
    databaseUrl: s.db.url,
    chain: scan.port,
    payTo: s.payTo,
    denom: "uneutaro",
    codec: s.codec,
    store: s.gw.store,
    log: s.log,
    instance,
    onPass,
    settings: { pollMs: 50, leasePollMs: 200, marginBlocks: 1, rereadBlocks: 10, minConfirmations: 1 },
  });
  return { ...w, stop: () => w.stop().finally(scan.stop), crash: () => w.crash().finally(scan.stop) };
}

/** Invoices bound like `template` (route, method, price), each with its own nonce. */
export function invoicesLike(codec: InvoiceCodec, template: Invoice, n: number, tag: string, over: Partial<Invoice> = {}): Invoice[] {
  return Array.from({ length: n }, (_, i) => codec.issue({ ...template, nonce: `${tag}${i}`, ...over }));
}

/** One payment to sign: amount in uneutaro and memo. */
export interface PaymentSpec {
  readonly amountMicro: bigint;
  readonly memo: string;
  readonly denom?: string;
}

/** Signs `specs` from wallet `w` with consecutive sequences (no broadcast). */
export async function presign(
  devnet: Devnet,
  query: StargateClient,
  w: number,
  to: string,
  specs: readonly PaymentSpec[],
): Promise<Uint8Array[]> {
  // The sequence first: callers sign for many wallets at once, and a request sent after the others'
  // CPU-bound key derivation and signing would go out on a socket idle for seconds (see below).
  const from = devnet.wallets[w]!.address;
  const { accountNumber, sequence } = await query.getSequence(from);
  const wallet = await DirectSecp256k1HdWallet.fromMnemonic(devnet.wallets[w]!.mnemonic, { prefix: "neutaro" });
  const signer = await SigningStargateClient.offline(wallet);
  const out: Uint8Array[] = [];
  for (const [i, p] of specs.entries()) {
    const msg = {
      typeUrl: "/cosmos.bank.v1beta1.MsgSend",
      value: { fromAddress: from, toAddress: to, amount: [{ denom: p.denom ?? "uneutaro", amount: p.amountMicro.toString() }] },
    };
    const raw = await signer.sign(from, [msg], FEE, p.memo, { accountNumber, sequence: sequence + i, chainId: devnet.chainId });
    out.push(TxRaw.encode(raw).finish());
    // Signing never waits on I/O: without a turn of the event loop now and then, hundreds of signatures
    // hold it for seconds, the in-process devnet's keep-alive timer (5 s) expires meanwhile, and the next
    // request, written to that socket before the timer callback runs, is answered by a reset (ECONNRESET).
    if (i % 25 === 24) await new Promise((r) => setImmediate(r));
  }
  signer.disconnect();
  return out;
}

/**
 * Broadcasts the txs of every wallet, `perBlock` at a time, waiting for a new block between rounds, so
 * they spread over about total/perBlock blocks. Each wallet's txs go in sequence order.
 * @returns tx hashes (uppercase) in broadcast order
 */
export async function broadcastSpread(
  devnet: Devnet,
  query: StargateClient,
  perWallet: readonly Uint8Array[][],
  perBlock: number,
): Promise<string[]> {
  const queue: Uint8Array[] = [];
  const longest = Math.max(...perWallet.map((t) => t.length));
  for (let i = 0; i < longest; i++) for (const txs of perWallet) if (txs[i]) queue.push(txs[i]!);
  const hashes: string[] = [];
  for (let at = 0; at < queue.length; at += perBlock) {
    for (const tx of queue.slice(at, at + perBlock)) hashes.push(await broadcast(query, tx));
    // Everything in the mempool goes into the next block: wait for it.
    await devnet.waitForHeight(devnet.height() + 1, 5_000);
  }
  return hashes;
}

/**
 * broadcast_tx_sync, retried when a kept-alive connection the devnet already closed resets (undici
 * reuses idle sockets): a tx the node did receive answers "already in cache", which is success too.
 */
async function broadcast(query: StargateClient, tx: Uint8Array): Promise<string> {
  const hash = toHex(sha256(tx)).toUpperCase();
  for (let attempt = 0; ; attempt++) {
    try {
      await query.broadcastTxSync(tx);
      return hash;
    } catch (err) {
      if (/already (exists )?in cache/i.test(String(err))) return hash;
      if (attempt >= 2 || !/fetch failed|ECONNRESET|other side closed|socket/i.test(String(err) + String((err as Error).cause))) throw err;
    }
  }
}

/** Polls `cond` every 50 ms until true; throws after `timeoutMs`. */
export async function waitUntil(cond: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
