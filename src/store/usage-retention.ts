/**
 * Retention of the per-call usage detail (usage_events, migration 0010): creates the day partitions
 * ahead and drops whole days older than the retention, after summing each into usage_daily (reports
 * stay exact). One transaction under a transaction-scoped advisory lock: with many replicas (or a
 * CronJob beside them) one runs it and the others skip, so nothing is dropped twice or early.
 */
import type pg from "pg";
import { query, transaction } from "./pool.js";

/** Advisory lock key of usage maintenance (any fixed bigint; distinct from the migration lock). */
const MAINTENANCE_LOCK = "4020150001";

export interface UsageMaintenanceOptions {
  /** whole days of detail kept (GATEWAY_USAGE_RETENTION): day D is dropped once D + 1 ≤ today − retentionDays */
  readonly retentionDays: number;
  /** days after today whose partitions are created (default 2) */
  readonly aheadDays?: number;
  /** the clock to judge "today" by, UTC (default now) */
  readonly now?: Date;
}

export type UsageMaintenanceResult =
  /** another replica holds the maintenance lock */
  | { readonly ran: false }
  /** partition names created and dropped (usage_events_pYYYYMMDD), oldest first */
  | { readonly ran: true; readonly created: readonly string[]; readonly dropped: readonly string[] };

const PARTITION = /^usage_events_p(\d{4})(\d{2})(\d{2})$/;
const DAY_MS = 86_400_000;

function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/**
 * Creates partitions for today … today + aheadDays and drops the expired ones.
 * @throws RangeError when retentionDays < 1 or aheadDays < 0; StoreUnavailableError
 */
export function maintainUsage(pool: pg.Pool, opts: UsageMaintenanceOptions): Promise<UsageMaintenanceResult> {
  const { retentionDays, aheadDays = 2 } = opts;
  if (!Number.isInteger(retentionDays) || retentionDays < 1)
    throw new RangeError(`retentionDays must be an integer ≥ 1, got ${retentionDays}`);
  if (!Number.isInteger(aheadDays) || aheadDays < 0) throw new RangeError(`aheadDays must be an integer ≥ 0, got ${aheadDays}`);
  const todayMs = Date.parse(utcDay((opts.now ?? new Date()).getTime()));
  const cutoff = utcDay(todayMs - retentionDays * DAY_MS);
  return transaction<UsageMaintenanceResult>(pool, "maintainUsage", async (c) => {
    const locked = await query<{ ok: boolean }>(c, "maintainUsage", `SELECT pg_try_advisory_xact_lock(${MAINTENANCE_LOCK}) AS ok`);
    if (!locked.rows[0]!.ok) return { commit: false, value: { ran: false } };
    // Dropping a partition locks usage_events briefly; never let a queue of debits wait long behind it.
    await query(c, "maintainUsage", "SET LOCAL lock_timeout = '5s'");
    const created: string[] = [];
    for (let d = 0; d <= aheadDays; d++) {
      const day = utcDay(todayMs + d * DAY_MS);
      const res = await query<{ created: boolean }>(c, "maintainUsage", "SELECT usage_partition_ensure($1::date) AS created", [day]);
      if (res.rows[0]!.created) created.push(`usage_events_p${day.replaceAll("-", "")}`);
    }
    const parts = await query<{ name: string }>(
      c,
      "maintainUsage",
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'usage_events'::regclass ORDER BY 1`,
    );
    const dropped: string[] = [];
    for (const { name } of parts.rows) {
      const m = PARTITION.exec(name);
      if (!m) continue;
      const day = `${m[1]}-${m[2]}-${m[3]}`;
      if (day >= cutoff) continue;
      // The name matched PARTITION, so it needs no quoting.
      await query(
        c,
        "maintainUsage",
        `INSERT INTO usage_daily (day, client_id, route_id, method, calls, amount_micro, network, denom)
         SELECT $1::date, client_id, route_id, method, count(*), sum(amount_micro), network, denom FROM ${name}
          GROUP BY 2, 3, 4, 7, 8`,
        [day],
      );
      await query(c, "maintainUsage", `DROP TABLE ${name}`);
      await query(
        c,
        "maintainUsage",
        `UPDATE usage_retention SET dropped_before = GREATEST(dropped_before, ($1::date + 1)::timestamp AT TIME ZONE 'UTC')`,
        [day],
      );
      dropped.push(name);
    }
    return { commit: true, value: { ran: true, created, dropped } };
  });
}
