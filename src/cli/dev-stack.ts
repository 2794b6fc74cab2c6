import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino, { type Logger } from "pino";
import { startGateway, type RunningGateway } from "../app/gateway.js";
import { loadConfig } from "../config/load.js";
import { startDevnet, type Devnet } from "../devnet/index.js";

/** A well-formed address for the settings check before the devnet (whose wallet0 receives) exists. */
const PLACEHOLDER_ADDRESS = "neutaro1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq";

/** Everything `gate402 dev` and `gate402 demo` run in one process: devnet, (embedded) Postgres, gateway. */
export interface DevStack {
  readonly devnet: Devnet;
  readonly gw: RunningGateway;
  readonly log: Logger;
  stop(): Promise<void>;
}

export interface DevStackOptions {
  /** ephemeral ports and a throw-away data dir (demo); else the configured/default ports (dev) */
  readonly ephemeral: boolean;
  readonly env: Record<string, string | undefined>;
  readonly defaultLogLevel: string;
}

/**
 * Starts the Neutaro devnet (wallet0 receives payments), Postgres (DATABASE_URL, or embedded under
 * GATEWAY_DATA_DIR / a temp dir) and gate402 in dev mode (ephemeral secrets, said so in the log).
 */
export async function startDevStack(o: DevStackOptions): Promise<DevStack> {
  // Every setting is checked before anything starts, all problems in one ConfigError; the devnet's own
  // values (RPC, chain id, payment address) stand in until it runs.
  const settings = loadConfig({ GATEWAY_PAYMENT_ADDRESS: PLACEHOLDER_ADDRESS, ...o.env, GATEWAY_RPC: "http://127.0.0.1:26657", GATEWAY_CHAIN_ID: "neutaro-devnet-1" }, "dev");
  const log = pino({ level: o.env["LOG_LEVEL"] === undefined ? o.defaultLogLevel : settings.logLevel });
  const devnet = await startDevnet({
    port: o.ephemeral ? 0 : settings.devnet.port,
    blockTimeMs: settings.devnet.blockTimeMs,
    logger: log.child({ component: "devnet" }),
  });
  let tempDir: string | undefined;
  if (o.ephemeral && !o.env["DATABASE_URL"] && !o.env["GATEWAY_DATA_DIR"]) {
    tempDir = mkdtempSync(join(tmpdir(), "gate402-demo-"));
    chmodSync(tempDir, 0o755); // embedded Postgres runs as user postgres when we are root
  }
  const env: Record<string, string | undefined> = {
    GATEWAY_PAYMENT_ADDRESS: devnet.wallets[0]!.address,
    ...o.env,
    GATEWAY_RPC: devnet.rpcUrl,
    GATEWAY_CHAIN_ID: devnet.chainId,
    ...(o.ephemeral && { GATEWAY_HOST: "127.0.0.1", GATEWAY_GRPC_PORT: "0", GATEWAY_HTTP_PORT: "0" }),
    ...(tempDir && { GATEWAY_DATA_DIR: tempDir }),
  };
  const config = loadConfig(env, "dev");
  if (config.generatedSecrets.length) log.warn({ secrets: config.generatedSecrets }, "dev mode: generated ephemeral secrets (invoices and tokens do not survive a restart)");
  try {
    const gw = await startGateway(config, { log });
    return {
      devnet, gw, log,
      async stop() {
        await gw.stop(2000);
        await devnet.stop();
        if (tempDir) rmSync(tempDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await devnet.stop();
    if (tempDir) rmSync(tempDir, { recursive: true, force: true });
    throw err;
  }
}
