/**
 * `gate402 maintain` and `gate402 export-usage`: usage detail retention and export from the command
 * line (a Kubernetes CronJob beside replicas running with GATEWAY_USAGE_MAINTENANCE_MS=0, or an
 * accounting export before the detail is dropped). Each prints to `out`; returns the exit code
 * (src/core/catalogue.ts EXIT_CODES: 0 done, 2 database error).
 */
import { type ApiErrorCode, exitCode } from "../core/catalogue.js";
import { DEFAULT_ROLLUP_MS } from "../store/pg-store.js";
import { createPool } from "../store/pool.js";
import { exportUsage, type UsageExportFormat } from "../store/usage-export.js";
import { closeDueUsage } from "../store/usage-periods.js";
import { maintainUsage } from "../store/usage-retention.js";

const poolFor = (databaseUrl: string) => createPool({ databaseUrl, poolMax: 1, statementTimeoutMs: 600_000, connectTimeoutMs: 10_000 });

/**
 * Creates partitions ahead, drops days older than `retentionDays` (one replica at a time), and closes the
 * usage periods opened at least `closePeriodsAfterMs` ago into their ledger entries (any number of
 * replicas at once: closing is row-locked). Prints one JSON line.
 * @param closePeriodsAfterMs ms; GATEWAY_LEDGER_ROLLUP_MS closes the due periods, 0 every open one (an
 *   up-to-date ledger before an audit or export)
 * @returns exit code: 0 done (or retention skipped: another replica holds its lock), 2 database error
 */
export async function runMaintain(
  databaseUrl: string,
  retentionDays: number,
  out: NodeJS.WritableStream = process.stdout,
  closePeriodsAfterMs = DEFAULT_ROLLUP_MS,
): Promise<number> {
  const pool = poolFor(databaseUrl);
  try {
    const done = await maintainUsage(pool, { retentionDays });
    const closedPeriods = await closeDueUsage(pool, closePeriodsAfterMs);
    const retention = done.ran ? done : { ran: false, reason: "another replica holds the maintenance lock" };
    out.write(`${JSON.stringify({ ok: true, ...retention, closedPeriods })}\n`);
    return exitCode("OK");
  } catch (err) {
    out.write(`${JSON.stringify({ ok: false, error: "STORE_UNAVAILABLE" satisfies ApiErrorCode, message: (err as Error).message })}\n`);
    return exitCode("STORE_UNAVAILABLE");
  } finally {
    await pool.end();
  }
}

/** Writes usage detail of [since, until) to `out` as NDJSON or CSV; errors go to `err` as one JSON line. */
export async function runExportUsage(
  databaseUrl: string,
  opts: { since: Date; until?: Date; format: UsageExportFormat },
  out: NodeJS.WritableStream = process.stdout,
  err: NodeJS.WritableStream = process.stderr,
): Promise<number> {
  const pool = poolFor(databaseUrl);
  try {
    await exportUsage(pool, out, opts);
    return exitCode("OK");
  } catch (e) {
    err.write(JSON.stringify({ ok: false, error: "STORE_UNAVAILABLE" satisfies ApiErrorCode, message: (e as Error).message }) + "\n");
    return exitCode("STORE_UNAVAILABLE");
  } finally {
    await pool.end();
  }
}
