/**
 * The gate402 command line (commander): serve | dev | devnet | demo | migrate | verify-ledger | maintain |
 * export-usage. Every
 * command has --help listing the environment variables it reads. Commander errors are thrown (exitOverride)
 * after one line on stderr; src/cli.ts turns them into exit codes.
 */
import { Command, InvalidArgumentError, Option } from "commander";
import { VERSION } from "../app/version.js";
import { CONFIG_ENV, envHelp } from "./env-help.js";

// Loaded when a command runs: --help and usage errors answer without loading gRPC, cosmjs, fastify, pg.
const commands = () => import("./commands.js");
// dev, demo and devnet load the devnet (the workspace package @gate402/devnet, an optional dependency:
// not in the production image); serve, migrate and verify-ledger never do.
const devCommands = () => import("./dev-commands.js").catch(devnetMissing);

/** A clear error when @gate402/devnet is not installed (e.g. `npm ci --omit=optional`, the image). */
function devnetMissing(err: unknown): never {
  if ((err as { code?: string }).code === "ERR_MODULE_NOT_FOUND" && /@gate402\/devnet/.test(String(err))) {
    throw new Error("dev, demo and devnet need the optional package @gate402/devnet, not installed here (production installs omit it)");
  }
  throw err;
}

const DEVNET_DESCRIPTION = "only the local Neutaro devnet (CometBFT RPC, funded wallets), with optional faults; runs until Ctrl-C";

const DEV_ENV = {
  GATEWAY_DEVNET_PORT: "devnet RPC port (default 26657)",
  GATEWAY_DEVNET_BLOCK_MS: "devnet block time in ms (default 500)",
  GATEWAY_DEVNET_SECOND_CHAIN: "true: also start chain Devnet-2 (prefix cosmos, denom uatom) on port + 1 and accept payments on it",
  DATABASE_URL: "use this Postgres instead of the embedded one",
  GATEWAY_DATA_DIR: "embedded Postgres data (default .data)",
  LOG_LEVEL: "pino level",
};

/**
 * A fresh program for `argv` (without node and the script). The devnet's own command (its flags, in
 * packages/devnet/src/cli.ts) is loaded only when `argv` runs it or asks for its help; otherwise a stand-in
 * with the same name and description keeps it in `gate402 --help` without loading any of the devnet.
 */
export async function buildProgram(argv: readonly string[] = []): Promise<Command> {
  const program = new Command("gate402")
    .description("HTTP 402 payment gate for Envoy/Istio ext_authz: AI agents pay per API call in NTMPI on Neutaro")
    .version(VERSION, "-V, --version", "print the version")
    .helpOption("-h, --help", "show help")
    .showSuggestionAfterError(true)
    // Subcommands made with .command() inherit these two; devnet gets them through copyInheritedSettings.
    .configureOutput({
      // One line: commander's message (with its suggestion) and where to look.
      outputError: (str, write) =>
        write(
          `gate402: ${str
            .trim()
            .replace(/^error: /, "")
            .replace(/\s*\n\s*/g, " ")} (see gate402 --help)\n`,
        ),
    })
    .exitOverride();

  program
    .command("serve")
    .description("production: gRPC ext_authz + HTTP API; refuses to start without address, strong secrets and a database")
    .addHelpText(
      "after",
      envHelp(
        {
          GATEWAY_PAYMENT_ADDRESS: "required: neutaro1… address that receives payments",
          GATEWAY_INVOICE_SECRET: "required: ≥ 32 characters, signs invoices",
          JWT_SECRET: "required: ≥ 32 characters, signs prepaid and management tokens",
          DATABASE_URL: "required: postgres://…",
          GATEWAY_SHUTDOWN_GRACE_MS: "ms to drain on SIGTERM (default 10000)",
        },
        CONFIG_ENV,
        "optional",
      ),
    )
    .action(async () => (await commands()).serve());

  program
    .command("dev")
    .description("everything embedded (devnet, Postgres, generated secrets), long-running; prints commands to try it")
    .option("--second-chain", "also start a second devnet chain (Devnet-2, prefix cosmos, denom uatom) and accept payments on it")
    .addHelpText(
      "after",
      envHelp(
        DEV_ENV,
        CONFIG_ENV.filter((n) => n !== "GATEWAY_RPC" && n !== "GATEWAY_CHAIN_ID"),
        "gateway settings as for serve (dev defaults; GATEWAY_RPC and GATEWAY_CHAIN_ID come from the devnet)",
      ),
    )
    .action(async (o: { secondChain?: boolean }) => (await devCommands()).dev(o));

  const wantsDevnet = argv[0] === "devnet" || (argv[0] === "help" && argv[1] === "devnet");
  if (wantsDevnet) {
    const { devnetCommand } = await import("@gate402/devnet/cli").catch(devnetMissing);
    program.addCommand(devnetCommand().description(DEVNET_DESCRIPTION).copyInheritedSettings(program));
  } else {
    program.command("devnet").description(DEVNET_DESCRIPTION);
  }

  program
    .command("demo")
    .description("dev on ephemeral ports plus an agent paying through gRPC Check; exits 0 when every step behaved")
    .addHelpText(
      "after",
      envHelp({
        GATEWAY_DEVNET_BLOCK_MS: DEV_ENV.GATEWAY_DEVNET_BLOCK_MS,
        DATABASE_URL: DEV_ENV.DATABASE_URL,
        GATEWAY_DATA_DIR: "embedded Postgres data (default: a temp dir, deleted at the end)",
        LOG_LEVEL: "pino level (default warn)",
      }),
    )
    .action(async () => (await devCommands()).demo());

  program
    .command("migrate")
    .description("apply the database migrations to DATABASE_URL (advisory-locked: safe with many replicas)")
    .addHelpText(
      "after",
      envHelp({ DATABASE_URL: "required: postgres://… (or DATABASE_URL_FILE: a file holding it)", LOG_LEVEL: "pino level (default info)" }),
    )
    .action(async () => (await commands()).migrateCommand());

  program
    .command("verify-ledger")
    .description("walk every prepaid account's hash chain; prints one JSON line; exit 0 intact, 1 broken, 2 unreachable")
    .addHelpText("after", envHelp({ DATABASE_URL: "required: postgres://… (or DATABASE_URL_FILE: a file holding it)" }))
    .action(async () => (await commands()).verifyLedgerCommand());

  program
    .command("maintain")
    .description(
      "usage detail retention: create day partitions ahead, drop days older than the retention (one replica at a time); " +
        "close ended usage periods into their ledger entries; prints one JSON line",
    )
    .option("--retention-days <days>", "days of per-call usage detail kept (default GATEWAY_USAGE_RETENTION or 7)", days)
    .option("--close-open-periods", "also close usage periods that have not ended yet (an up-to-date ledger before an audit)")
    .addHelpText(
      "after",
      envHelp({
        DATABASE_URL: "required: postgres://… (or DATABASE_URL_FILE: a file holding it)",
        GATEWAY_USAGE_RETENTION: "days of detail kept (default 7; keep it ≥ GATEWAY_REFUND_WINDOW)",
        GATEWAY_LEDGER_ROLLUP_MS: "the rollup period in ms: periods opened longer ago are closed (default 60000)",
      }),
    )
    .action(async (o: { retentionDays?: number; closeOpenPeriods?: boolean }) =>
      (await commands()).maintainCommand(
        o.retentionDays ?? days(process.env["GATEWAY_USAGE_RETENTION"] ?? "7"),
        o.closeOpenPeriods ? 0 : milliseconds(process.env["GATEWAY_LEDGER_ROLLUP_MS"] ?? "60000"),
      ),
    );

  program
    .command("export-usage")
    .description("write per-call usage detail (decision id, account, route, method, uneutaro, time) to stdout, before retention drops it")
    .option("--since <time>", "RFC 3339 time, inclusive (default: all retained detail)", time)
    .option("--until <time>", "RFC 3339 time, exclusive (default now)", time)
    .addOption(new Option("--format <format>", "output format").choices(["ndjson", "csv"]).default("ndjson"))
    .addHelpText("after", envHelp({ DATABASE_URL: "required: postgres://… (or DATABASE_URL_FILE: a file holding it)" }))
    .action(async (o: { since?: Date; until?: Date; format: "ndjson" | "csv" }) =>
      (await commands()).exportUsageCommand({ ...o, since: o.since ?? new Date(0) }),
    );

  return program;
}

function days(v: string): number {
  if (!/^[1-9][0-9]{0,3}$/.test(v)) throw new InvalidArgumentError("a whole number of days, 1–9999");
  return Number(v);
}

/** GATEWAY_LEDGER_ROLLUP_MS: whole ms, 0–3600000 (the config schema's bounds). */
function milliseconds(v: string): number {
  if (!/^[0-9]{1,7}$/.test(v) || Number(v) > 3_600_000) throw new InvalidArgumentError("GATEWAY_LEDGER_ROLLUP_MS: whole ms, 0–3600000");
  return Number(v);
}

function time(v: string): Date {
  const d = new Date(v);
  if (!/^\d{4}-\d{2}-\d{2}/.test(v) || Number.isNaN(d.getTime()))
    throw new InvalidArgumentError("an RFC 3339 time, e.g. 2026-11-30T00:00:00Z");
  return d;
}
