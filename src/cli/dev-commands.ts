/** `gate402 dev` and `gate402 demo`: the devnet, (embedded) Postgres and a gateway in one process. */
import { connectPayer } from "../demo/payer.js";
import { runDemoAgent } from "../demo/agent.js";
import { formatCoins } from "../money.js";
import { onSignals } from "./commands.js";
import { startDevStack } from "./dev-stack.js";
import { tryItCommands } from "./try-it.js";

const out = (line = "") => process.stdout.write(`${line}\n`);

/** `gate402 dev`: everything embedded, long-running, prints how to try it. `secondChain`: --second-chain. */
export async function dev(opts: { secondChain?: boolean } = {}): Promise<void> {
  const secondChain = opts.secondChain || undefined; // unset: GATEWAY_DEVNET_SECOND_CHAIN decides
  const s = await startDevStack({ ephemeral: false, env: process.env, defaultLogLevel: "info", secondChain });
  const { gw, devnet, second } = s;
  out(`\ngate402 dev is running (embedded Postgres, Neutaro devnet ${devnet.chainId} at ${devnet.rpcUrl})`);
  if (second) {
    out(`  second chain    ${second.chainId} at ${second.rpcUrl}   denom ${second.denom}   network cosmos:${second.chainId}`);
    out(`  payments to     ${second.wallets[0]!.address}   (on ${second.chainId}; its wallets hold ${second.denom})`);
  }
  out(`  gRPC ext_authz  127.0.0.1:${gw.grpcPort}   (envoy.service.auth.v3.Authorization/Check)`);
  out(`  HTTP API        ${gw.httpUrl}   (/health /metrics /invoices/:id /prepaid/*)`);
  out(`  payments to     ${gw.config.paymentAddress}   price ${formatCoins(gw.config.defaultPriceMicro)} NTMPI`);
  out(`\nFunded devnet wallets (do not use these mnemonics anywhere real):`);
  for (const w of devnet.wallets.slice(1, 4)) out(`  ${w.name} ${w.address}\n    ${w.mnemonic}`);
  out(`\nTry it against this stack (Ctrl-C stops it; Envoy's ext_authz grpc_service goes to 127.0.0.1:${gw.grpcPort}):`);
  const commands = tryItCommands({
    grpcPort: gw.grpcPort,
    httpUrl: gw.httpUrl,
    rpcUrl: devnet.rpcUrl,
    chainId: devnet.chainId,
    mnemonic: devnet.wallets[1]!.mnemonic,
  });
  for (const c of commands) out(`\n  # ${c.title}\n  ${c.command}`);
  onSignals(() => s.stop());
}

/** `gate402 demo`: starts everything on ephemeral ports, plays an agent through gRPC Check, exits 0. */
export async function demo(): Promise<void> {
  const s = await startDevStack({ ephemeral: true, env: process.env, defaultLogLevel: "warn" });
  try {
    const { gw, devnet } = s;
    out(
      `gate402 demo: devnet ${devnet.chainId}, gRPC 127.0.0.1:${gw.grpcPort}, HTTP ${gw.httpUrl}, Postgres ${process.env["DATABASE_URL"] ? "from DATABASE_URL" : "embedded"}\n`,
    );
    const payer = await connectPayer(devnet.rpcUrl, devnet.wallets[1]!.mnemonic, devnet.denom);
    try {
      await runDemoAgent({ grpcAddress: `127.0.0.1:${gw.grpcPort}`, httpUrl: gw.httpUrl }, payer, gw.config.defaultPriceMicro, (l) =>
        out(l),
      );
    } finally {
      payer.disconnect();
    }
    out("\ndemo finished: every step behaved as expected");
  } finally {
    await s.stop();
  }
}
