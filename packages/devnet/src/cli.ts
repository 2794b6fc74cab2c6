/**
 * `gate402 devnet`: starts the devnet, prints its RPC URL, chain id and funded wallets, and runs until
 * SIGINT/SIGTERM. Flags: --host, --port (default 26657), --block-time-ms, --chain-id, --prefix, --denom, --accounts,
 * fault flags --stall-ms N, --drop, --error http500|rpc, --garbage, --index-lag-blocks N, --skip-heights N.
 */
import { Command, InvalidArgumentError, Option } from "commander";
import type { FaultUpdate } from "./faults.js";

/** commander argument parser: a whole number. */
function whole(v: string): number {
  if (!/^\d+$/.test(v)) throw new InvalidArgumentError("must be a whole number");
  return Number(v);
}

/** commander argument parser: a bech32 prefix. */
function bech32Prefix(v: string): string {
  if (!/^[a-z][a-z0-9]{0,19}$/.test(v)) throw new InvalidArgumentError("lowercase letters and digits, e.g. cosmos");
  return v;
}

/** commander argument parser: a Cosmos SDK denom. */
function denomName(v: string): string {
  if (!/^[a-zA-Z][a-zA-Z0-9/:._-]{2,127}$/.test(v)) throw new InvalidArgumentError("a Cosmos SDK denom, e.g. uatom");
  return v;
}

/** Parsed flags of `gate402 devnet` (commander's camelCase names). */
export interface DevnetFlags {
  readonly host: string;
  readonly port: number;
  readonly blockTimeMs: number;
  readonly chainId: string;
  readonly prefix: string;
  readonly denom: string;
  readonly accounts: number;
  readonly stallMs?: number;
  readonly drop?: boolean;
  readonly error?: "http500" | "rpc";
  readonly garbage?: boolean;
  readonly indexLagBlocks?: number;
  readonly skipHeights?: number;
}

function faultsOf(f: DevnetFlags): FaultUpdate {
  const faults: FaultUpdate = {};
  if (f.stallMs !== undefined) faults.stallMs = f.stallMs;
  if (f.drop) faults.drop = true;
  if (f.garbage) faults.garbage = true;
  if (f.error !== undefined) faults.error = f.error;
  if (f.indexLagBlocks !== undefined) faults.indexLagBlocks = f.indexLagBlocks;
  if (f.skipHeights !== undefined) faults.skipHeights = f.skipHeights;
  return faults;
}

/** Runs the devnet with parsed flags; resolves after SIGINT/SIGTERM shut it down. */
export async function runDevnet(flags: DevnetFlags): Promise<void> {
  const faults = faultsOf(flags);
  const { startDevnet } = await import("./devnet.js"); // loaded only when the devnet runs (fast --help)
  const devnet = await startDevnet({
    host: flags.host,
    port: flags.port,
    blockTimeMs: flags.blockTimeMs,
    chainId: flags.chainId,
    prefix: flags.prefix,
    denom: flags.denom,
    accounts: flags.accounts,
  });
  devnet.faults.set(faults);
  // This CLI's job is to print the wallets for humans.
  console.log(`devnet RPC:  ${devnet.rpcUrl}`);
  console.log(`chain id:    ${devnet.chainId}   denom: ${devnet.denom}   fee collector: ${devnet.feeCollector}`);
  if (Object.keys(faults).length > 0) console.log(`faults:      ${JSON.stringify(devnet.faults.current)}`);
  for (const w of devnet.wallets) {
    console.log(`${w.name.padEnd(9)} ${w.address}  ${devnet.balance(w.address)}${devnet.denom}\n          ${w.mnemonic}`);
  }
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
  await devnet.stop();
}

/** The `devnet` command with its flags (also usable on its own: see runDevnetCli). */
export function devnetCommand(): Command {
  return new Command("devnet")
    .description("only the local Neutaro devnet (CometBFT RPC, funded wallets), with optional faults; runs until Ctrl-C")
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .option("--port <n>", "RPC port (0: any free port)", whole, 26657)
    .option("--block-time-ms <n>", "ms between blocks (0: a block per tx)", whole, 1000)
    .option("--chain-id <id>", "chain id", "neutaro-devnet-1")
    .option("--prefix <hrp>", "bech32 prefix of the wallets' addresses", bech32Prefix, "neutaro")
    .option("--denom <denom>", "the chain's denom: genesis balances and fees", denomName, "uneutaro")
    .option("--accounts <n>", "funded wallets to create", whole, 10)
    .option("--stall-ms <n>", "fault: delay every RPC answer by n ms", whole)
    .option("--drop", "fault: destroy connections without answering")
    .addOption(
      new Option("--error <kind>", "fault: http500 = HTTP 500 with a JSON-RPC error, rpc = HTTP 200 with a JSON-RPC error").choices([
        "http500",
        "rpc",
      ]),
    )
    .option("--garbage", "fault: answer with bytes that are not JSON")
    .option("--index-lag-blocks <n>", "fault: tx / tx_search do not see the txs of the newest n blocks", whole)
    .option("--skip-heights <n>", "fault: the next block jumps n heights", whole)
    .addHelpText("after", "\nEnvironment: none (flags only).")
    .action((flags: DevnetFlags) => runDevnet(flags));
}

/**
 * Runs the devnet command on `argv` (without the word "devnet"), for tests and embedding.
 * @throws CommanderError on bad flags (after printing one line to stderr)
 */
export async function runDevnetCli(argv: string[]): Promise<void> {
  await devnetCommand().exitOverride().parseAsync(argv, { from: "user" });
}
