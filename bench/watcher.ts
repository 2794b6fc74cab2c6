/**
 * Payment watcher catch-up rate: N payments (default 2,000; BENCH_WATCHER_PAYMENTS) to the payment
 * address spread over N/10 devnet blocks while no watcher runs, then one watcher starts from height 1
 * and the clock runs until every payment is recorded in Postgres. Measures tx_search paging, block
 * time reads, classification and the batched inserts — the work after downtime.
 * Needs a Postgres server (BENCH_DATABASE_URL or TEST_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test).
 */
import { randomBytes } from "node:crypto";
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import { SigningStargateClient, StargateClient } from "@cosmjs/stargate";
import { TxRaw } from "cosmjs-types/cosmos/tx/v1beta1/tx";
import pino from "pino";
import { InvoiceCodec } from "../src/core/invoices.js";
import { startDevnet, type Devnet } from "@gate402/devnet";
import { createPgStore } from "../src/store/pg-store.js";
import { createScanChain } from "../src/chain/index.js";
import { startPaymentWatcher } from "../src/watcher/start.js";
import { benchDatabase } from "./setup.js";

export const WALLETS = 20;
const PER_BLOCK = 10;
const FEE = { amount: [{ denom: "uneutaro", amount: "5000" }], gas: "200000" };

async function signWallet(devnet: Devnet, query: StargateClient, w: number, to: string, memos: readonly string[]): Promise<Uint8Array[]> {
  const wallet = await DirectSecp256k1HdWallet.fromMnemonic(devnet.wallets[w]!.mnemonic, { prefix: "neutaro" });
  const signer = await SigningStargateClient.offline(wallet);
  const from = devnet.wallets[w]!.address;
  const { accountNumber, sequence } = await query.getSequence(from);
  const out: Uint8Array[] = [];
  for (const [i, memo] of memos.entries()) {
    const msg = {
      typeUrl: "/cosmos.bank.v1beta1.MsgSend",
      value: { fromAddress: from, toAddress: to, amount: [{ denom: "uneutaro", amount: "1000" }] },
    };
    out.push(
      TxRaw.encode(await signer.sign(from, [msg], FEE, memo, { accountNumber, sequence: sequence + i, chainId: devnet.chainId })).finish(),
    );
  }
  return out;
}

/** `n` invoices for GET on route "default" at 1000 uneutaro, valid for an hour. */
export function benchInvoices(codec: InvoiceCodec, n: number, issueHeight = 1): string[] {
  return Array.from(
    { length: n },
    (_, i) =>
      codec.issue({
        amountMicro: 1000n,
        method: "GET",
        routeId: "default",
        expiresAt: Math.floor(Date.now() / 1000) + 3600,
        issueHeight,
        nonce: `b${i}`,
        uses: 1,
      }).id,
  );
}

/**
 * Puts one 1000-uneutaro payment per memo on chain from wallets 1…WALLETS (pre-signed with explicit
 * sequences), PER_BLOCK per block. The devnet needs at least WALLETS + 1 accounts.
 */
export async function fillChain(devnet: Devnet, payTo: string, memos: readonly string[]): Promise<void> {
  const query = await StargateClient.connect(devnet.rpcUrl);
  try {
    const perWallet = await Promise.all(
      Array.from({ length: WALLETS }, (_, w) =>
        signWallet(
          devnet,
          query,
          w + 1,
          payTo,
          memos.filter((_, i) => i % WALLETS === w),
        ),
      ),
    );
    const queue = perWallet[0]!.flatMap((_, i) => perWallet.map((txs) => txs[i]).filter((t): t is Uint8Array => t !== undefined));
    for (let at = 0; at < queue.length; at += PER_BLOCK) {
      for (const tx of queue.slice(at, at + PER_BLOCK)) await query.broadcastTxSync(tx);
      await devnet.produceBlock();
    }
  } finally {
    query.disconnect();
  }
}

/**
 * Runs the catch-up benchmark once.
 * @returns payments recorded per second of watcher time, the count and the seconds it took
 */
export async function benchWatcher(): Promise<{ paymentsPerSecond: number; payments: number; seconds: number }> {
  const n = Number(process.env["BENCH_WATCHER_PAYMENTS"] ?? 2000);
  const devnet = await startDevnet({ blockTimeMs: 0, accounts: WALLETS + 1 });
  const db = await benchDatabase(
    process.env["BENCH_DATABASE_URL"] ?? process.env["TEST_DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/test",
  );
  const store = createPgStore({ databaseUrl: db.url });
  const payTo = devnet.wallets[0]!.address;
  const codec = new InvoiceCodec(randomBytes(32).toString("hex"), payTo, "uneutaro", devnet.chainId);
  try {
    await fillChain(devnet, payTo, benchInvoices(codec, n));
    await devnet.produceBlock(); // the watcher stays one block (margin) behind the head
    let recorded = 0;
    let done: () => void = () => {};
    const finished = new Promise<void>((resolve) => (done = resolve));
    const started = process.hrtime.bigint();
    const scan = createScanChain([devnet.rpcUrl], 10_000);
    const watcher = startPaymentWatcher({
      databaseUrl: db.url,
      chain: scan.port,
      payTo,
      denom: "uneutaro",
      codec,
      store,
      log: pino({ level: "warn" }),
      settings: { pollMs: 20, leasePollMs: 100, marginBlocks: 1, rereadBlocks: 10, minConfirmations: 1, startHeight: 1 },
      onPass: (r) => {
        recorded += r.recorded;
        if (recorded >= n) done();
      },
    });
    await finished;
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    await watcher.stop();
    scan.stop();
    return { paymentsPerSecond: Math.round(n / seconds), payments: n, seconds: Number(seconds.toFixed(3)) };
  } finally {
    await store.close();
    await devnet.stop();
    await db.drop();
  }
}

// `node dist/bench/watcher.js` runs it alone and prints the result as JSON.
if (import.meta.url === `file://${process.argv[1]}`) {
  benchWatcher().then(
    (r) => process.stdout.write(`${JSON.stringify(r)}\n`),
    (err: unknown) => {
      process.stderr.write(`${String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
