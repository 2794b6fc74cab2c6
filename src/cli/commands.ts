import pino from "pino";
import { startGateway } from "../app/gateway.js";
import { checkNodes } from "../chain/health.js";
import { ConfigError, loadConfig, secretSetting } from "../config/load.js";
import { connectPayer } from "../demo/payer.js";
import { runDemoAgent } from "../demo/agent.js";
import { formatCoins } from "../money.js";
import { runVerifyLedger } from "../manage/verify-cli.js";
import { migrate } from "../store/migrate.js";
import { startDevStack } from "./dev-stack.js";
import { runExportUsage, runMaintain } from "./usage.js";
import { tryItCommands } from "./try-it.js";

const out = (line = "") => process.stdout.write(`${line}\n`);

/** Stops `stop` on SIGINT/SIGTERM, then exits 0. */
function onSignals(stop: () => Promise<void>): void {
  let stopping = false;
  const handler = () => {
    if (stopping) return;
    stopping = true;
    stop().then(() => process.exit(0), () => process.exit(1));
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
}

/** `gate402 serve`: production. Mainnet defaults; refuses to start without address and strong secrets. */
export async function serve(): Promise<void> {
  const config = loadConfig(process.env, "production");
  const log = pino({ level: config.logLevel });
  const gw = await startGateway(config, { log });
  try {
    // Refuse to run against a node on another chain, without tx indexing, or still catching up.
    await checkNodes(gw.chain, config, log);
  } catch (err) {
    await gw.stop(0);
    throw err;
  }
  onSignals(() => gw.stop(Number(process.env["GATEWAY_SHUTDOWN_GRACE_MS"] ?? 10_000)));
}

/** `gate402 dev`: everything embedded, long-running, prints how to try it. */
export async function dev(): Promise<void> {
  const s = await startDevStack({ ephemeral: false, env: process.env, defaultLogLevel: "info" });
  const { gw, devnet } = s;
  out(`\ngate402 dev is running (embedded Postgres, Neutaro devnet ${devnet.chainId} at ${devnet.rpcUrl})`);
  out(`  gRPC ext_authz  127.0.0.1:${gw.grpcPort}   (envoy.service.auth.v3.Authorization/Check)`);
  out(`  HTTP API        ${gw.httpUrl}   (/health /metrics /invoices/:id /prepaid/*)`);
  out(`  payments to     ${gw.config.paymentAddress}   price ${formatCoins(gw.config.defaultPriceMicro)} NTMPI`);
  out(`\nFunded devnet wallets (do not use these mnemonics anywhere real):`);
  for (const w of devnet.wallets.slice(1, 4)) out(`  ${w.name} ${w.address}\n    ${w.mnemonic}`);
  out(`\nTry it against this stack (Ctrl-C stops it; Envoy's ext_authz grpc_service goes to 127.0.0.1:${gw.grpcPort}):`);
  const commands = tryItCommands({ grpcPort: gw.grpcPort, httpUrl: gw.httpUrl, rpcUrl: devnet.rpcUrl, chainId: devnet.chainId, mnemonic: devnet.wallets[1]!.mnemonic });
  for (const c of commands) out(`\n  # ${c.title}\n  ${c.command}`);
  onSignals(() => s.stop());
}

/** `gate402 demo`: starts everything on ephemeral ports, plays an agent through gRPC Check, exits 0. */
export async function demo(): Promise<void> {
  const s = await startDevStack({ ephemeral: true, env: process.env, defaultLogLevel: "warn" });
  try {
    const { gw, devnet } = s;
    out(`gate402 demo: devnet ${devnet.chainId}, gRPC 127.0.0.1:${gw.grpcPort}, HTTP ${gw.httpUrl}, Postgres ${process.env["DATABASE_URL"] ? "from DATABASE_URL" : "embedded"}\n`);
    const payer = await connectPayer(devnet.rpcUrl, devnet.wallets[1]!.mnemonic, devnet.denom);
    try {
      await runDemoAgent({ grpcAddress: `127.0.0.1:${gw.grpcPort}`, httpUrl: gw.httpUrl }, payer, gw.config.defaultPriceMicro, (l) => out(l));
    } finally {
      payer.disconnect();
    }
    out("\ndemo finished: every step behaved as expected");
  } finally {
    await s.stop();
  }
}

/** `gate402 migrate`: applies migrations to DATABASE_URL (advisory-locked; safe with replicas). */
export async function migrateCommand(): Promise<void> {
  const url = secretSetting(process.env, "DATABASE_URL");
  if (!url) throw new ConfigError(["DATABASE_URL (or DATABASE_URL_FILE) is required for gate402 migrate"]);
  await migrate(url, pino({ level: process.env["LOG_LEVEL"] ?? "info" }));
  out("migrations applied");
}

/** `gate402 verify-ledger`: walks DATABASE_URL's ledger; sets the exit code (0 intact, 1 broken, 2 unreachable). */
export async function verifyLedgerCommand(): Promise<void> {
  const url = secretSetting(process.env, "DATABASE_URL");
  if (!url) throw new ConfigError(["DATABASE_URL (or DATABASE_URL_FILE) is required for gate402 verify-ledger"]);
  process.exitCode = await runVerifyLedger(url);
}

function databaseUrlFor(command: string): string {
  const url = secretSetting(process.env, "DATABASE_URL");
  if (!url) throw new ConfigError([`DATABASE_URL (or DATABASE_URL_FILE) is required for gate402 ${command}`]);
  return url;
}

/** `gate402 maintain`: usage partitions ahead, expired days dropped (exit 0 done or skipped, 2 unreachable). */
export async function maintainCommand(retentionDays: number): Promise<void> {
  process.exitCode = await runMaintain(databaseUrlFor("maintain"), retentionDays);
}

/** `gate402 export-usage`: usage detail of [since, until) to stdout (exit 0, 2 unreachable). */
export async function exportUsageCommand(opts: { since: Date; until?: Date; format: "ndjson" | "csv" }): Promise<void> {
  process.exitCode = await runExportUsage(databaseUrlFor("export-usage"), opts);
}
