/**
 * `gate402 verify-ledger`: walks every prepaid account's hash chain and balance (verifyLedger) and
 * prints one JSON line to stdout.
 * Exit codes (src/core/catalogue.ts EXIT_CODES): 0 the ledger verifies, 1 a broken entry was found
 * (printed), 2 the database could not be read.
 */
import { type ApiErrorCode, exitCode } from "../core/catalogue.js";
import { verifyLedger } from "../store/ledger-verify.js";
import { createPool } from "../store/pool.js";
import { verificationJson } from "./ledger/routes.js";

/**
 * Verifies the ledger of `databaseUrl`.
 * @param out where the JSON result line goes (default: process.stdout)
 * @returns the process exit code (0 ok, 1 broken, 2 database error)
 */
export async function runVerifyLedger(databaseUrl: string, out: NodeJS.WritableStream = process.stdout): Promise<number> {
  // Whole-ledger walks take longer than a request: a generous statement timeout.
  const pool = createPool({ databaseUrl, poolMax: 1, statementTimeoutMs: 120_000, connectTimeoutMs: 10_000 });
  try {
    const result = verificationJson(await verifyLedger(pool));
    out.write(JSON.stringify(result) + "\n");
    return exitCode(result.ok ? "OK" : "LEDGER_BROKEN");
  } catch (err) {
    out.write(JSON.stringify({ ok: false, error: "STORE_UNAVAILABLE" satisfies ApiErrorCode, message: (err as Error).message }) + "\n");
    return exitCode("STORE_UNAVAILABLE");
  } finally {
    await pool.end();
  }
}
