/** Production commands (serve, migrate, verify-ledger): nothing here loads the devnet (see dev-commands.ts). */
import pino from "pino";
import { startGateway } from "../app/gateway.js";
import { checkNetworks } from "../chain/health.js";
import { ConfigError, loadConfig, secretSetting } from "../config/load.js";
import { envSchema } from "../config/schema.js";
import { exitCode } from "../core/catalogue.js";
import { runVerifyLedger } from "../manage/verify-cli.js";
import { migrate } from "../store/migrate.js";
import { runExportUsage, runMaintain } from "./usage.js";

const out = (line = "") => process.stdout.write(`${line}\n`);

/** Stops `stop` on SIGINT/SIGTERM, then exits 0 (1 when stopping failed). */
export function onSignals(stop: () => Promise<void>): void {
  let stopping = false;
  const handler = () => {
    if (stopping) return;
    stopping = true;
    stop().then(
      () => process.exit(exitCode("OK")),
      () => process.exit(exitCode("FAILURE")),
    );
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
    // Refuse to run against a node on another chain, without tx indexing, or still catching up (every network).
    await checkNetworks(gw.networks.all(), config.mode, log);
  } catch (err) {
    await gw.stop(0);
    throw err;
  }
  onSignals(() => gw.stop(config.shutdownGraceMs));
}

/** `gate402 migrate`: applies migrations to DATABASE_URL (advisory-locked; safe with replicas). */
export async function migrateCommand(): Promise<void> {
  const url = secretSetting(process.env, "DATABASE_URL");
  if (!url) throw new ConfigError(["DATABASE_URL (or DATABASE_URL_FILE) is required for gate402 migrate"]);
  const level = envSchema.shape.LOG_LEVEL.safeParse(process.env["LOG_LEVEL"]);
  if (!level.success) throw new ConfigError([`LOG_LEVEL: ${level.error.issues.map((i) => i.message).join("; ")}`]);
  await migrate(url, pino({ level: level.data }));
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

/**
 * `gate402 maintain`: usage partitions ahead, expired days dropped, ended usage periods closed (exit 0
 * done or skipped, 2 unreachable). @param closePeriodsAfterMs ms since a period opened (0: all open ones)
 */
export async function maintainCommand(retentionDays: number, closePeriodsAfterMs: number): Promise<void> {
  process.exitCode = await runMaintain(databaseUrlFor("maintain"), retentionDays, process.stdout, closePeriodsAfterMs);
}

/** `gate402 export-usage`: usage detail of [since, until) to stdout (exit 0, 2 unreachable). */
export async function exportUsageCommand(opts: { since: Date; until?: Date; format: "ndjson" | "csv" }): Promise<void> {
  process.exitCode = await runExportUsage(databaseUrlFor("export-usage"), opts);
}
