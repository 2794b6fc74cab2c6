/**
 * `npm run fuzz`: the bad-input suite of test/e2e/fuzz.test.ts at scale (FUZZ_INPUTS, default 100,000)
 * against a real gateway in this process (devnet, Postgres from FUZZ_DATABASE_URL / TEST_DATABASE_URL,
 * default postgres://postgres@127.0.0.1:5432/test). Prints answers by surface and status, every
 * invariant violation, and this process's RSS before and after; exits 1 on any violation.
 */
import pino from "pino";
import { startGateway } from "../src/app/gateway.js";
import { loadConfig } from "../src/config/load.js";
import { connectPayer } from "../src/demo/payer.js";
import { startDevnet } from "@gate402/devnet";
import { checkClient } from "../src/transport/envoy/client.js";
import { runFuzz } from "./fuzz-inputs.js";
import { FUZZ_ROUTES, fuzzTarget } from "./fuzz-setup.js";
import { benchDatabase } from "./setup.js";

const INPUTS = Number(process.env["FUZZ_INPUTS"] ?? 100_000);
const SEED = Number(process.env["FUZZ_SEED"] ?? 0x402);
const mib = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MiB`;

async function main(): Promise<number> {
  const devnet = await startDevnet({ blockTimeMs: 200 });
  const db = await benchDatabase(
    process.env["FUZZ_DATABASE_URL"] ?? process.env["TEST_DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/test",
  );
  const config = loadConfig(
    {
      GATEWAY_HOST: "127.0.0.1",
      GATEWAY_GRPC_PORT: "0",
      GATEWAY_HTTP_PORT: "0",
      GATEWAY_PAYMENT_ADDRESS: devnet.wallets[0]!.address,
      GATEWAY_RPC: devnet.rpcUrl,
      GATEWAY_CHAIN_ID: devnet.chainId,
      DATABASE_URL: db.url,
      GATEWAY_ROUTES: FUZZ_ROUTES,
      GATEWAY_INVOICE_SECRET: "fuzz-invoice-secret-0123456789abcdef0123456789",
      JWT_SECRET: "fuzz-jwt-secret-0123456789abcdef0123456789abcd",
    },
    "production",
  );
  const gw = await startGateway(config, { log: pino({ level: "silent" }) });
  const payer = await connectPayer(devnet.rpcUrl, devnet.wallets[1]!.mnemonic, devnet.denom);
  const grpc = checkClient(`127.0.0.1:${gw.grpcPort}`);
  try {
    const target = await fuzzTarget(grpc, gw.httpPort, (to, amount, memo) => payer.send(to, amount, memo));
    global.gc?.();
    const before = process.memoryUsage().rss;
    const report = await runFuzz(target, {
      inputs: INPUTS,
      seed: SEED,
      concurrency: 16,
      onProgress: (n) => console.error(`… ${n} inputs, RSS ${mib(process.memoryUsage().rss)}`),
    });
    global.gc?.();
    const after = process.memoryUsage().rss;
    const health = (await fetch(`${gw.httpUrl}/health`)).status;
    console.log(`gate402 fuzz: ${report.inputs} inputs (seed ${SEED}) in ${(report.elapsedMs / 1000).toFixed(1)} s`);
    console.log(`violations: ${report.failures} (crashes, gRPC errors, 5xx, allows without payment)`);
    for (const e of report.examples) console.log(`  - ${e.slice(0, 400)}`);
    console.log(`RSS (gateway + fuzzer, one process): before ${mib(before)}, after ${mib(after)}${global.gc ? " (after GC)" : ""}`);
    console.log(`/health after the run: ${health}`);
    console.log("answers by surface and status:");
    for (const [k, v] of Object.entries(report.statuses).sort()) console.log(`  ${k}: ${v}`);
    return report.failures === 0 && health === 200 ? 0 : 1;
  } finally {
    grpc.close();
    payer.disconnect();
    await gw.stop(1000);
    await devnet.stop();
    await db.drop();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(2);
  },
);
