/**
 * Example agent: calls a paid route ten times with a daily cap and stops when the cap refuses.
 *
 *   GATE402_URL=https://api.example.com/api/data RPC=https://rpc2.neutaro.io:443 MNEMONIC="…" \
 *     node dist/src/client/example-agent.js
 *
 * Optional env: CHAIN_ID (Neutaro-1), MAX_PER_DAY ("0.005" NTMPI), MAX_PER_REQUEST ("0.01"), CALLS (10),
 * ALLOWED_PAYTO (comma-separated bech32), STATE_FILE (budget + receipts; default ~/.gate402/client-state.json).
 */
import { pathToFileURL } from "node:url";
import { cosmjsPayer, createPaidFetch, fileStore, PolicyViolationError, type PolicyViolationCode } from "./index.js";

export interface AgentSummary {
  readonly calls: number;
  /** payments made (receipts), this run and earlier runs sharing STATE_FILE */
  readonly paid: number;
  readonly stoppedBy?: PolicyViolationCode;
}

function required(env: Record<string, string | undefined>, name: string): string {
  const v = env[name];
  if (!v) throw new Error(`${name} is required`);
  return v;
}

/** Runs the agent loop; `log` receives one human-readable line per call. */
export async function runExampleAgent(env: Record<string, string | undefined>, log: (line: string) => void): Promise<AgentSummary> {
  const url = required(env, "GATE402_URL");
  const payer = cosmjsPayer({
    mnemonic: required(env, "MNEMONIC"),
    rpc: required(env, "RPC"),
    chainId: env["CHAIN_ID"] ?? "Neutaro-1",
    gasPrice: "0.025uneutaro",
  });
  const paidFetch = createPaidFetch({
    payer,
    store: fileStore(env["STATE_FILE"]),
    policy: {
      maxPerRequest: env["MAX_PER_REQUEST"] ?? "0.01",
      maxPerDay: env["MAX_PER_DAY"] ?? "0.005",
      allowedHosts: [new URL(url).hostname],
      allowedNetworks: [`cosmos:${env["CHAIN_ID"] ?? "Neutaro-1"}`],
      ...(env["ALLOWED_PAYTO"] && { allowedPayTo: env["ALLOWED_PAYTO"].split(",") }),
    },
  });
  const total = Number(env["CALLS"] ?? "10");
  let calls = 0;
  let stoppedBy: PolicyViolationCode | undefined;
  try {
    for (; calls < total; calls++) {
      try {
        const res = await paidFetch(url, { idempotencyKey: `example-${Date.now()}-${calls}` });
        log(`call ${calls + 1}: HTTP ${res.status} ${(await res.text()).slice(0, 80)}`);
      } catch (err) {
        if (!(err instanceof PolicyViolationError)) throw err;
        stoppedBy = err.code;
        log(`call ${calls + 1}: refused by the spending policy: ${err.message}`);
        break;
      }
    }
  } finally {
    payer.disconnect();
  }
  const paid = (await paidFetch.exportReceipts()).length;
  log(`done: ${calls} paid calls, ${paid} receipts${stoppedBy ? `, stopped by ${stoppedBy}` : ""}`);
  return { calls, paid, ...(stoppedBy && { stoppedBy }) };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runExampleAgent(process.env, (line) => console.log(line)).catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
  });
}
