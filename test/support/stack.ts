/**
 * The whole product on real parts for end-to-end tests: the Neutaro devnet (real signed txs), a fresh
 * Postgres database (TEST_DATABASE_URL / testcontainers / embedded), and gate402 on ephemeral ports.
 * `build()` style: call `startStack()` in beforeAll and `stack.stop()` in afterAll.
 */
import pino from "pino";
import { startGateway, type RunningGateway, type StartOptions } from "../../src/app/gateway.js";
import { loadConfig } from "../../src/config/load.js";
import { connectPayer, type DemoPayer } from "../../src/demo/payer.js";
import { startDevnet, type Devnet, type DevnetOptions } from "@gate402/devnet";
import { freshDatabase, type TestDatabase } from "./db.js";

export interface Stack {
  readonly devnet: Devnet;
  readonly gw: RunningGateway;
  readonly db: TestDatabase;
  /** receives payments (wallet0) */
  readonly payTo: string;
  /** pays (wallet1) */
  readonly agent: DemoPayer;
  /** connects a payer for wallet N */
  payer(n: number): Promise<DemoPayer>;
  /** starts another gate402 replica on the same database and devnet (stopped with the stack) */
  replica(): Promise<RunningGateway>;
  stop(): Promise<void>;
}

export interface StackOptions {
  readonly env?: Record<string, string>;
  /** settings that depend on the started devnet (its chain id, …), applied after `env` */
  readonly envFrom?: (devnet: Devnet) => Record<string, string>;
  readonly blockTimeMs?: number;
  readonly start?: Partial<StartOptions>;
  /** devnet options beyond the block time (e.g. extraDenoms) */
  readonly devnet?: Partial<DevnetOptions>;
}

export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const devnet = await startDevnet({ blockTimeMs: opts.blockTimeMs ?? 200, ...opts.devnet });
  const db = await freshDatabase();
  const payTo = devnet.wallets[0]!.address;
  const env = {
    GATEWAY_HOST: "127.0.0.1",
    GATEWAY_GRPC_PORT: "0",
    GATEWAY_HTTP_PORT: "0",
    GATEWAY_PAYMENT_ADDRESS: payTo,
    GATEWAY_RPC: devnet.rpcUrl,
    GATEWAY_CHAIN_ID: devnet.chainId,
    GATEWAY_INVOICE_SECRET: "test-invoice-secret-0123456789abcdef0123456789",
    JWT_SECRET: "test-jwt-secret-0123456789abcdef0123456789abcd",
    DATABASE_URL: db.url,
    LOG_LEVEL: process.env["TEST_LOG_LEVEL"] ?? "silent",
    ...opts.env,
    ...opts.envFrom?.(devnet),
  };
  const config = loadConfig(env, "production");
  const log = pino({ level: config.logLevel });
  const gw = await startGateway(config, { log, ...opts.start });
  const replicas: RunningGateway[] = [];
  const replica = async () => {
    const r = await startGateway(loadConfig(env, "production"), { log, ...opts.start });
    replicas.push(r);
    return r;
  };
  const payers: DemoPayer[] = [];
  const payer = async (n: number) => {
    const p = await connectPayer(devnet.rpcUrl, devnet.wallets[n]!.mnemonic, devnet.denom);
    payers.push(p);
    return p;
  };
  const agent = await payer(1);
  return {
    devnet,
    gw,
    db,
    payTo,
    agent,
    payer,
    replica,
    async stop() {
      for (const p of payers) p.disconnect();
      for (const r of replicas) await r.stop(1000);
      await gw.stop(1000);
      await devnet.stop();
      await db.drop();
    },
  };
}
