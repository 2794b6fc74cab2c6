import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino, { type Logger } from "pino";
import { startGateway, type RunningGateway } from "../app/gateway.js";
import { loadConfig } from "../config/load.js";
import { startDevnet, type Devnet } from "@gate402/devnet";

/** A well-formed address for the settings check before the devnet (whose wallet0 receives) exists. */
const PLACEHOLDER_ADDRESS = "neutaro1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq";

/** The second devnet chain of `gate402 dev --second-chain`: its own chain id, bech32 prefix and denom. */
export const SECOND_CHAIN = { chainId: "Devnet-2", prefix: "cosmos", denom: "uatom" } as const;

/** Everything `gate402 dev` and `gate402 demo` run in one process: devnet, (embedded) Postgres, gateway. */
export interface DevStack {
  readonly devnet: Devnet;
  /** the second chain (GATEWAY_NETWORKS entry `cosmos:Devnet-2`, wallet0 receives), when asked for */
  readonly second?: Devnet;
  readonly gw: RunningGateway;
  readonly log: Logger;
  stop(): Promise<void>;
}

export interface DevStackOptions {
  /** ephemeral ports and a throw-away data dir (demo); else the configured/default ports (dev) */
  readonly ephemeral: boolean;
  readonly env: Record<string, string | undefined>;
  readonly defaultLogLevel: string;
  /**
   * also start a second devnet chain (SECOND_CHAIN) on GATEWAY_DEVNET_PORT + 1 (ephemeral: any port) and
   * accept payments on it: GATEWAY_NETWORKS is set to that one network. Default: GATEWAY_DEVNET_SECOND_CHAIN.
   */
  readonly secondChain?: boolean;
}

/**
 * Starts the Neutaro devnet (wallet0 receives payments), Postgres (DATABASE_URL, or embedded under
 * GATEWAY_DATA_DIR / a temp dir) and gate402 in dev mode (ephemeral secrets, said so in the log).
 */
export async function startDevStack(o: DevStackOptions): Promise<DevStack> {
  // Every setting is checked before anything starts, all problems in one ConfigError; the devnet's own
  // values (RPC, chain id, payment address) stand in until it runs.
  const settings = loadConfig(
    { GATEWAY_PAYMENT_ADDRESS: PLACEHOLDER_ADDRESS, ...o.env, GATEWAY_RPC: "http://127.0.0.1:26657", GATEWAY_CHAIN_ID: "neutaro-devnet-1" },
    "dev",
  );
  const log = pino({ level: o.env["LOG_LEVEL"] === undefined ? o.defaultLogLevel : settings.logLevel });
  const devnet = await startDevnet({
    port: o.ephemeral ? 0 : settings.devnet.port,
    blockTimeMs: settings.devnet.blockTimeMs,
    logger: log.child({ component: "devnet" }),
  });
  let second: Devnet | undefined;
  let tempDir: string | undefined;
  const stopChains = async () => {
    await devnet.stop();
    await second?.stop();
    if (tempDir) rmSync(tempDir, { recursive: true, force: true });
  };
  try {
    if (o.secondChain ?? settings.devnet.secondChain) {
      second = await startDevnet({
        ...SECOND_CHAIN,
        port: o.ephemeral || settings.devnet.port === 0 ? 0 : settings.devnet.port + 1,
        blockTimeMs: settings.devnet.blockTimeMs,
        logger: log.child({ component: "devnet", chainId: SECOND_CHAIN.chainId }),
      });
    }
    if (o.ephemeral && !o.env["DATABASE_URL"] && !o.env["GATEWAY_DATA_DIR"]) {
      tempDir = mkdtempSync(join(tmpdir(), "gate402-demo-"));
      chmodSync(tempDir, 0o755); // embedded Postgres runs as user postgres when we are root
    }
    const env: Record<string, string | undefined> = {
      GATEWAY_PAYMENT_ADDRESS: devnet.wallets[0]!.address,
      ...o.env,
      GATEWAY_RPC: devnet.rpcUrl,
      GATEWAY_CHAIN_ID: devnet.chainId,
      ...(second && { GATEWAY_NETWORKS: JSON.stringify([secondNetwork(second)]), GATEWAY_NETWORKS_FILE: undefined }),
      ...(o.ephemeral && { GATEWAY_HOST: "127.0.0.1", GATEWAY_GRPC_PORT: "0", GATEWAY_HTTP_PORT: "0" }),
      ...(tempDir && { GATEWAY_DATA_DIR: tempDir }),
    };
    const config = loadConfig(env, "dev");
    if (config.generatedSecrets.length) {
      const why = "dev mode: generated ephemeral secrets (invoices and tokens do not survive a restart)";
      log.warn({ secrets: config.generatedSecrets }, why);
    }
    const gw = await startGateway(config, { log });
    return {
      devnet,
      second,
      gw,
      log,
      async stop() {
        await gw.stop(2000);
        await stopChains();
      },
    };
  } catch (err) {
    await stopChains();
    throw err;
  }
}

/** The GATEWAY_NETWORKS entry of the second devnet chain: its wallet0 receives. */
export function secondNetwork(d: Devnet): { id: string; rpc: string[]; bech32Prefix: string; payTo: string; denom: string } {
  return { id: `cosmos:${d.chainId}`, rpc: [d.rpcUrl], bech32Prefix: SECOND_CHAIN.prefix, payTo: d.wallets[0]!.address, denom: d.denom };
}
