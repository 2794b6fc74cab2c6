/**
 * `npm run bench:x402`: time from the first request (answered 402) to the paid 200 for one call, with
 * an unmodified @x402/fetch client and gate402/x402's scheme, on the devnet at Neutaro's block time:
 * the signed-transaction payload (gate402 broadcasts, allows at once) against the tx-hash payload
 * (the client broadcasts and waits for inclusion before the retry). Writes its section of
 * bench/RESULTS.md. Needs a Postgres server (BENCH_DATABASE_URL or TEST_DATABASE_URL).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import { x402Client } from "@x402/core/client";
import { wrapFetchWithPayment } from "@x402/fetch";
import pino from "pino";
import { startGateway } from "../src/app/gateway.js";
import { loadConfig } from "../src/config/load.js";
import { startDevnet } from "@gate402/devnet";
import { registerExactCosmosScheme } from "../src/x402/index.js";
import { benchDatabase } from "./setup.js";

const here = dirname(fileURLToPath(import.meta.url));
const BLOCK_MS = Number(process.env["BENCH_BLOCK_MS"] ?? 5500);
const CALLS = Number(process.env["BENCH_X402_CALLS"] ?? 10);
export const START = "<!-- x402-bench:start -->";
export const END = "<!-- x402-bench:end -->";

async function payingFetch(rpc: string, mnemonic: string, network: string, mode: "signed" | "broadcast") {
  const signer = await DirectSecp256k1HdWallet.fromMnemonic(mnemonic, { prefix: "neutaro" });
  const client = new x402Client();
  registerExactCosmosScheme(client, { signer, rpc, mode });
  client.setSpendControls({
    allowedAssets: [{ network: network as `${string}:${string}`, asset: "uneutaro", maxAmountPerPayment: "100000" }],
  });
  return wrapFetchWithPayment(fetch, client);
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;
const fmt = (ms: number) => (ms / 1000).toFixed(2);

async function main(): Promise<void> {
  const base = process.env["BENCH_DATABASE_URL"] ?? process.env["TEST_DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/test";
  const db = await benchDatabase(base);
  const devnet = await startDevnet({ blockTimeMs: BLOCK_MS, accounts: 3 });
  const network = `cosmos:${devnet.chainId}`;
  const config = loadConfig(
    {
      GATEWAY_HOST: "127.0.0.1",
      GATEWAY_GRPC_PORT: "0",
      GATEWAY_HTTP_PORT: "0",
      GATEWAY_PAYMENT_ADDRESS: devnet.wallets[0]!.address,
      GATEWAY_RPC: devnet.rpcUrl,
      GATEWAY_CHAIN_ID: devnet.chainId,
      DATABASE_URL: db.url,
      LOG_LEVEL: "warn",
      GATEWAY_INVOICE_SECRET: "bench-invoice-secret-0123456789abcdef012345",
      JWT_SECRET: "bench-jwt-secret-0123456789abcdef0123456789",
      GATEWAY_ROUTES: "GET /api/data=0.001",
    },
    "production",
  );
  const gw = await startGateway(config, { log: pino({ level: "warn" }) });
  const url = `${gw.httpUrl}/ext-authz/api/data`;
  const results: Record<"signed" | "broadcast", number[]> = { signed: [], broadcast: [] };
  try {
    const fetchers = {
      signed: await payingFetch(devnet.rpcUrl, devnet.wallets[1]!.mnemonic, network, "signed"),
      broadcast: await payingFetch(devnet.rpcUrl, devnet.wallets[2]!.mnemonic, network, "broadcast"),
    };
    for (let i = 0; i < CALLS; i++) {
      for (const mode of ["signed", "broadcast"] as const) {
        // Start at a random point of the block interval, as a real agent would.
        await new Promise((r) => setTimeout(r, Math.random() * BLOCK_MS));
        const t0 = performance.now();
        const res = await fetchers[mode](url);
        const ms = performance.now() - t0;
        if (res.status !== 200) throw new Error(`${mode}: paid call answered ${res.status}`);
        results[mode].push(ms);
        process.stderr.write(`bench x402: ${mode} call ${i + 1}: ${fmt(ms)} s\n`);
      }
    }
  } finally {
    await gw.stop(1000);
    await devnet.stop();
    await db.drop();
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const row = (name: string, xs: number[]) =>
    `| ${name} | ${xs.length} | ${fmt(mean(xs))} | ${fmt(pct(xs, 0.5))} | ${fmt(Math.max(...xs))} | ${fmt(Math.min(...xs))} |`;
  const section = [
    START,
    "## x402: first 402 to paid 200 (bench/x402.ts)",
    "",
    `Measured by \`npm run bench:x402\` on ${new Date().toISOString().slice(0, 10)}: unmodified \`@x402/fetch\` 2.27.0 with`,
    `\`registerExactCosmosScheme\`, gate402 \`/ext-authz\` HTTP mode, devnet block time ${BLOCK_MS} ms (Neutaro: ~5-6 s),`,
    "each call started at a random point of the block interval; time from the first request (402) to the paid 200.",
    "",
    "| payload | calls | mean s | median s | max s | min s |",
    "|---|---:|---:|---:|---:|---:|",
    row("signed transaction (gate402 broadcasts, allows at once)", results.signed),
    row("tx hash (client broadcasts, waits for inclusion)", results.broadcast),
    END,
  ].join("\n");
  const path = join(here, "..", "..", "bench", "RESULTS.md");
  const old = readFileSync(path, "utf8");
  const start = old.indexOf(START);
  const next = start >= 0 ? old.slice(0, start) + section + old.slice(old.indexOf(END) + END.length) : `${old.trimEnd()}\n\n${section}\n`;
  writeFileSync(path, next);
  process.stderr.write(`${section}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench x402 failed: ${(err as Error).stack}\n`);
  process.exit(1);
});
