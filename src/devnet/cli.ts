/**
 * `gate402 devnet`: starts the devnet, prints its RPC URL, chain id and funded wallets, and runs until
 * SIGINT/SIGTERM. Flags: --host, --port (default 26657), --block-time-ms, --chain-id, --accounts,
 * fault flags --stall-ms N, --drop, --error http500|rpc, --garbage, --index-lag-blocks N, --skip-heights N.
 */
import { parseArgs } from "node:util";
import { startDevnet } from "./devnet.js";
import type { FaultUpdate } from "./faults.js";

function intFlag(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new Error(`--${name} must be a whole number, got "${v}"`);
  return Number(v);
}

function parseFlags(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      host: { type: "string" },
      port: { type: "string" },
      "block-time-ms": { type: "string" },
      "chain-id": { type: "string" },
      accounts: { type: "string" },
      "stall-ms": { type: "string" },
      drop: { type: "boolean" },
      error: { type: "string" },
      garbage: { type: "boolean" },
      "index-lag-blocks": { type: "string" },
      "skip-heights": { type: "string" },
    },
    strict: true,
  });
  const faults: FaultUpdate = {};
  const stallMs = intFlag(values["stall-ms"], "stall-ms");
  if (stallMs !== undefined) faults.stallMs = stallMs;
  if (values.drop) faults.drop = true;
  if (values.garbage) faults.garbage = true;
  if (values.error !== undefined) {
    if (values.error !== "http500" && values.error !== "rpc") throw new Error('--error must be "http500" or "rpc"');
    faults.error = values.error;
  }
  const lag = intFlag(values["index-lag-blocks"], "index-lag-blocks");
  if (lag !== undefined) faults.indexLagBlocks = lag;
  const skip = intFlag(values["skip-heights"], "skip-heights");
  if (skip !== undefined) faults.skipHeights = skip;
  return { values, faults };
}

/** Runs the devnet CLI (argv without the subcommand); resolves after SIGINT/SIGTERM shut it down. */
export async function runDevnetCli(argv: string[]): Promise<void> {
  const { values, faults } = parseFlags(argv);
  const devnet = await startDevnet({
    host: values.host ?? "127.0.0.1",
    port: intFlag(values.port, "port") ?? 26657,
    blockTimeMs: intFlag(values["block-time-ms"], "block-time-ms") ?? 1000,
    chainId: values["chain-id"] ?? "neutaro-devnet-1",
    accounts: intFlag(values.accounts, "accounts") ?? 10,
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
