/**
 * `npm run bench`: Check throughput and latency over gRPC on 127.0.0.1 for gate402's decision paths,
 * each against a no-op Check server (same adapter, no decision work) measured in the same run.
 * Processes: this orchestrator (devnet, setup), gate402 `serve`, the no-op server, and a separate
 * load generator. Writes bench/RESULTS.md. Needs a Postgres server (BENCH_DATABASE_URL or
 * TEST_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test).
 */
import { cpus } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { connectPayer } from "../src/demo/payer.js";
import { startDevnet } from "@gate402/devnet";
import { checkClient } from "../src/transport/envoy/client.js";
import type { LoadResult, LoadSpec } from "./loadgen.js";
import { writeResults, type Row } from "./report.js";
import { benchCheck, benchDatabase, encodeChecks, freePort, fundedAccounts, runLoadgen, spawnNode, waitHttp } from "./setup.js";
import { benchInvoices, benchWatcher, fillChain, WALLETS } from "./watcher.js";
import { InvoiceCodec } from "../src/core/invoices.js";
import pg from "pg";

const here = dirname(fileURLToPath(import.meta.url));
const DURATION_MS = Number(process.env["BENCH_DURATION_MS"] ?? 8000);
const WARMUP_MS = 2000;
const CONCURRENCY = 32;
const INDEXED_PROOFS = Number(process.env["BENCH_INDEXED_PROOFS"] ?? 3000);
const INVOICE_SECRET = "bench-invoice-secret-0123456789abcdef012345";

const check = benchCheck;

const load = (spec: Omit<LoadSpec, "durationMs" | "warmupMs" | "channels">): Promise<LoadResult> =>
  runLoadgen({ ...spec, durationMs: DURATION_MS, warmupMs: WARMUP_MS, channels: 4 });

async function main(): Promise<void> {
  const base = process.env["BENCH_DATABASE_URL"] ?? process.env["TEST_DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/test";
  const db = await benchDatabase(base);
  const devnet = await startDevnet({ blockTimeMs: 200, accounts: WALLETS + 2 });
  const [grpcPort, httpPort] = [await freePort(), await freePort()];
  const payTo = devnet.wallets[0]!.address;
  const gw = spawnNode(
    join(here, "..", "src", "cli.js"),
    ["serve"],
    {
      GATEWAY_HOST: "127.0.0.1",
      GATEWAY_GRPC_PORT: String(grpcPort),
      GATEWAY_HTTP_PORT: String(httpPort),
      GATEWAY_PAYMENT_ADDRESS: payTo,
      GATEWAY_RPC: devnet.rpcUrl,
      GATEWAY_CHAIN_ID: devnet.chainId,
      DATABASE_URL: db.url,
      GATEWAY_INVOICE_SECRET: INVOICE_SECRET,
      JWT_SECRET: "bench-jwt-secret-0123456789abcdef0123456789",
      LOG_LEVEL: "warn",
      GATEWAY_ROUTES: "/api/metered/*=0.000100",
    },
    process.env["BENCH_PROFILE_DIR"] ? ["--cpu-prof", `--cpu-prof-dir=${process.env["BENCH_PROFILE_DIR"]}`] : [],
  );
  const noop = spawnNode(join(here, "noop-server.js"), ["0"]);
  try {
    await waitHttp(`http://127.0.0.1:${httpPort}/healthz`);
    const noopAddress = `127.0.0.1:${(await noop.firstLine).trim()}`;
    const gwAddress = `127.0.0.1:${grpcPort}`;
    process.stderr.write("bench: funding 1,000 prepaid accounts…\n");
    const accounts = await fundedAccounts(db.url, 1000, 1_000_000_000n);
    const replayProof = await redeemedProof(gwAddress, devnet.rpcUrl, devnet.wallets[WALLETS + 1]!.mnemonic, devnet.denom);
    process.stderr.write(`bench: paying ${INDEXED_PROOFS} invoices and waiting for the watcher…\n`);
    const indexed = await indexedInvoices(db.url, devnet, payTo);
    const req402 = encodeChecks([check("/api/data")]);
    const reqPrepaid = encodeChecks(
      accounts.map((a) => check("/api/metered/q", { "x-client-id": a.clientId, "x-client-key": a.clientKey })),
    );
    const reqReplay = encodeChecks([check("/api/data", { "x-payment-proof": replayProof })]);
    const reqIndexed = encodeChecks(indexed.map((id) => check("/api/data", { "x-payment-proof": id })));
    const rows: Row[] = [];
    const run = async (name: string, address: string, requests: string[], rate?: number, once?: boolean) => {
      process.stderr.write(`bench: ${name}…\n`);
      const r = await load({ address, requests, concurrency: CONCURRENCY, rate, once });
      rows.push({ name, ...r });
      process.stderr.write(`  ${JSON.stringify(r)}\n`);
    };
    await run("baseline (no-op Check)", noopAddress, req402);
    await run("402 path (invoice issued)", gwAddress, req402);
    await run("prepaid path (1,000 accounts)", gwAddress, reqPrepaid);
    await run("replay-refusal path", gwAddress, reqReplay);
    await run(`invoice-only proof, payment indexed (${INDEXED_PROOFS} single-use)`, gwAddress, reqIndexed, undefined, true);
    const redeemed = await countRedeemed(db.url, indexed);
    if (redeemed !== indexed.length) throw new Error(`bench: only ${redeemed} of ${indexed.length} indexed proofs were allowed`);
    await run("baseline at 2,000 checks/s", noopAddress, req402, 2000);
    await run("402 path at 2,000 checks/s", gwAddress, req402, 2000);
    await run("402 path at 1,000 checks/s", gwAddress, req402, 1000);
    gw.child.kill("SIGTERM");
    noop.child.kill("SIGTERM");
    process.stderr.write("bench: watcher catch-up…\n");
    const watcher = await benchWatcher();
    writeResults(join(here, "..", "..", "bench", "RESULTS.md"), rows, watcher, {
      cpus: cpus().length,
      cpu: cpus()[0]?.model ?? "?",
      durationMs: DURATION_MS,
      concurrency: CONCURRENCY,
    });
    process.stdout.write(`watcher catch-up: ${watcher.paymentsPerSecond} payments/s (${watcher.payments} in ${watcher.seconds} s)\n`);
    process.stdout.write(
      `${rows.map((r) => `${r.name}: ${r.throughput.toFixed(0)}/s p50 ${r.p50.toFixed(2)} ms p99 ${r.p99.toFixed(2)} ms errors ${r.errors}`).join("\n")}\n`,
    );
  } finally {
    gw.child.kill("SIGTERM");
    noop.child.kill("SIGTERM");
    await devnet.stop();
    await new Promise((r) => setTimeout(r, 500));
    await db.drop();
  }
}

/** Issues INDEXED_PROOFS invoices with the gateway's secret, pays each on chain, waits until the gateway's watcher recorded them all. */
async function indexedInvoices(databaseUrl: string, devnet: Awaited<ReturnType<typeof startDevnet>>, payTo: string): Promise<string[]> {
  const codec = new InvoiceCodec(INVOICE_SECRET, payTo, devnet.denom, devnet.chainId);
  const ids = benchInvoices(codec, INDEXED_PROOFS, devnet.height());
  await fillChain(devnet, payTo, ids);
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    for (const until = Date.now() + 120_000; ; await new Promise((r) => setTimeout(r, 250))) {
      const { rows } = await c.query("SELECT count(*)::int AS n FROM payments WHERE memo = ANY($1::text[])", [ids]);
      if (rows[0].n >= ids.length) return ids;
      if (Date.now() > until) throw new Error(`bench: watcher indexed ${rows[0].n} of ${ids.length} payments`);
    }
  } finally {
    await c.end();
  }
}

async function countRedeemed(databaseUrl: string, ids: string[]): Promise<number> {
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  const { rows } = await c.query("SELECT count(*)::int AS n FROM redemptions WHERE invoice_id = ANY($1::text[])", [ids]);
  await c.end();
  return rows[0].n;
}

/** Pays one invoice on the devnet, redeems it once, and returns the proof (now spent) for replays. */
async function redeemedProof(address: string, rpcUrl: string, mnemonic: string, denom: string): Promise<string> {
  const client = checkClient(address);
  const res = await client.check(check("/api/data"));
  const invoice = JSON.parse(String(res.denied_response?.body)).payment;
  const payer = await connectPayer(rpcUrl, mnemonic, denom);
  const { txHash } = await payer.send(invoice.address, BigInt(invoice.amountMicro), invoice.memo);
  payer.disconnect();
  const proof = `${invoice.invoiceId}:${txHash}`;
  const ok = await client.check(check("/api/data", { "x-payment-proof": proof }));
  if (!ok.ok_response) throw new Error("bench setup: the paid proof was not accepted");
  client.close();
  return proof;
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(1);
  },
);
