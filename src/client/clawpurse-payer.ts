/**
 * A Payer that shells out to the ClawPurse CLI (`clawpurse send <address> <amount> --memo <memo> --yes`),
 * so the agent's keys stay in ClawPurse's encrypted keystore. Node-only: node:child_process is imported
 * lazily. The amount is DECIMAL NTMPI with exactly 6 places: the CLI reads a bare integer below
 * 1,000,000 as whole NTMPI.
 */
import { formatCoins } from "../money.js";
import { PaymentNotSentError } from "./errors.js";
import type { Payer } from "./payer.js";

export interface ClawpurseCliOptions {
  /** executable name or path, default "clawpurse" (looked up on PATH) */
  readonly bin?: string;
  /** extra arguments appended after `--yes` (e.g. ["--password-file", path]) */
  readonly extraArgs?: readonly string[];
  /** environment for the CLI, default the current one */
  readonly env?: Record<string, string | undefined>;
  /** the network ClawPurse is configured for, default "cosmos:Neutaro-1" */
  readonly network?: string;
  /** kill the CLI after this, default 120000 ms (outcome unknown: reservation kept) */
  readonly timeoutMs?: number;
}

/** Thrown when the CLI exits non-zero or prints no tx hash; the payment may or may not have left. */
export class ClawpurseCliError extends Error {
  override readonly name = "ClawpurseCliError";
  constructor(
    message: string,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(message);
  }
}

/** A standalone 64-hex token (not part of a longer base64url/bech32 word such as a memo echo). */
const HASH_RE = /(?<![A-Za-z0-9_.-])([0-9A-Fa-f]{64})(?![A-Za-z0-9_.-])/g;

/** Finds the tx hash in CLI output, preferring a line that mentions "hash". */
export function parseTxHash(output: string): string | null {
  const lines = output.split(/\r?\n/);
  const ordered = [...lines.filter((l) => /hash/i.test(l)), ...lines];
  for (const line of ordered) {
    const m = [...line.matchAll(HASH_RE)][0];
    if (m) return m[1]!.toUpperCase();
  }
  return null;
}

export function clawpurseCliPayer(opts: ClawpurseCliOptions = {}): Payer {
  const bin = opts.bin ?? "clawpurse";
  const network = opts.network ?? "cosmos:Neutaro-1";
  return {
    async pay(order) {
      if (order.network !== network) throw new PaymentNotSentError(`clawpurse pays on ${network}, not ${order.network}`);
      if (order.denom !== "uneutaro") throw new PaymentNotSentError(`clawpurse pays NTMPI (uneutaro), not ${order.denom}`);
      // execFile passes argv without a shell; still refuse values the CLI could read as options.
      if (order.memo.startsWith("-") || order.payTo.startsWith("-")) throw new PaymentNotSentError("memo or address starts with '-'");
      const args = ["send", order.payTo, formatCoins(order.amountMicro), "--memo", order.memo, "--yes", ...(opts.extraArgs ?? [])];
      const { execFile } = await import("node:child_process");
      const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
        execFile(
          bin,
          args,
          { env: opts.env ?? process.env, timeout: opts.timeoutMs ?? 120_000, maxBuffer: 1024 * 1024, encoding: "utf8" },
          (err, out, errOut) => {
            if (!err) return resolve({ stdout: out, stderr: errOut });
            if ("code" in err && err.code === "ENOENT")
              return reject(new PaymentNotSentError(`${bin} not found on PATH`, undefined, { cause: err }));
            reject(new ClawpurseCliError(`${bin} send failed: ${err.message.split("\n")[0]}`, out, errOut));
          },
        );
      });
      const txHash = parseTxHash(stdout) ?? parseTxHash(stderr);
      if (!txHash) throw new ClawpurseCliError(`${bin} send printed no tx hash`, stdout, stderr);
      return { txHash };
    },
  };
}
