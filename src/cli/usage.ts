/**
 * `gate402 maintain` and `gate402 export-usage`: usage detail retention and export from the command
 * line (a Kubernetes CronJob beside replicas running with GATEWAY_USAGE_MAINTENANCE_MS=0, or an
 * accounting export before the detail is dropped). Each prints to `out`; returns the exit code
 * (src/core/catalogue.ts EXIT_CODES: 0 done, 2 database error).
 */
import { type ApiErrorCode, exitCode } from "../core/catalogue.js";
import { createPool } from "../store/pool.js";
import { exportUsage, type UsageExportFormat } from "../store/usage-export.js";
import { maintainUsage } from "../store/usage-retention.js";

const poolFor = (databaseUrl: string) => createPool({ databaseUrl, poolMax: 1, statementTimeoutMs: 600_000, connectTimeoutMs: 10_000 });

/** Creates partitions ahead and drops days older than `retentionDays`; prints one JSON line. */
export async function runMaintain(
  databaseUrl: string,
  retentionDays: number,
  out: NodeJS.WritableStream = process.stdout,
): Promise<number> {
  const pool = poolFor(databaseUrl);
  try {
    const done = await maintainUsage(pool, { retentionDays });
    out.write(
      JSON.stringify(done.ran ? { ok: true, ...done } : { ok: true, ran: false, reason: "another replica holds the maintenance lock" }) +
        "\n",
    );
    return exitCode("OK");
  } catch (err) {
    out.write(JSON.stringify({ ok: false, error: "STORE_UNAVAILABLE" satisfies ApiErrorCode, message: (err as Error).message }) + "\n");
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
