#!/usr/bin/env node
/** gate402 command line: serve | dev | devnet | demo | migrate | verify-ledger. */
import { NodeCheckError } from "./chain/health.js";
import { ConfigError, secretSetting } from "./config/load.js";
import { demo, dev, migrateCommand, serve } from "./cli/commands.js";
import { runDevnetCli } from "./devnet/index.js";
import { runVerifyLedger } from "./manage/verify-cli.js";

const USAGE = `usage: gate402 <command>
  serve     production ext_authz + HTTP API (needs GATEWAY_PAYMENT_ADDRESS, GATEWAY_INVOICE_SECRET, JWT_SECRET, DATABASE_URL)
  dev       everything embedded: devnet, Postgres, generated secrets; prints how to try it
  devnet    only the local Neutaro devnet (flags: --port --block-time-ms --chain-id, faults)
  demo      dev on ephemeral ports + an agent paying through gRPC Check; exits 0
  migrate   apply database migrations to DATABASE_URL
  verify-ledger  walk every prepaid account's hash chain in DATABASE_URL; exit 0 intact, 1 broken, 2 unreachable`;

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case "serve": return serve();
    case "dev": return dev();
    case "devnet": return runDevnetCli(rest);
    case "demo": return demo();
    case "migrate": return migrateCommand();
    case "verify-ledger": {
      const url = secretSetting(process.env, "DATABASE_URL");
      if (!url) throw new ConfigError(["DATABASE_URL (or DATABASE_URL_FILE) is required for gate402 verify-ledger"]);
      process.exitCode = await runVerifyLedger(url);
      return;
    }
    default:
      process.stderr.write(`${USAGE}\n`);
      process.exit(command === undefined || command === "help" || command === "--help" ? 0 : 2);
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof NodeCheckError) process.stderr.write(`gate402: ${err.message}\n`);
  else process.stderr.write(`gate402: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
