/**
 * Schema migrations: the plain SQL files in migrations/ (shipped in the package), applied by
 * node-pg-migrate in one transaction under its advisory lock, so replicas starting together migrate
 * once and the others wait, then find nothing to do.
 */
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { runner } from "node-pg-migrate";
import type { Logger } from "pino";
import { toStoreError } from "./errors.js";

/** Table where node-pg-migrate records applied migrations. */
export const MIGRATIONS_TABLE = "gate402_migrations";

/**
 * migrations/ of this package: two levels up from src/store/ when run from the repo (tsx, vitest),
 * three from dist/src/store/ when run from the build or the installed package.
 */
export function migrationsDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [resolve(here, "../../migrations"), resolve(here, "../../../migrations")];
  const found = candidates.find((dir) => existsSync(resolve(dir, "0001_prepaid-ledger.sql")));
  if (!found) throw new Error(`gate402 migrations not found (looked in ${candidates.join(", ")})`);
  return found;
}

/**
 * Applies all pending up-migrations to `databaseUrl`. Safe to call from several processes at once.
 * @throws StoreUnavailableError when the database cannot be reached; other errors (a failing
 *   migration) unchanged, with everything rolled back
 */
export async function migrate(databaseUrl: string, logger?: Logger): Promise<void> {
  const log = logger?.child({ component: "migrate" });
  try {
    const applied = await runner({
      databaseUrl,
      dir: migrationsDir(),
      migrationsTable: MIGRATIONS_TABLE,
      direction: "up",
      singleTransaction: true,
      checkOrder: true,
      // "wait": a replica that finds another migrating blocks until it is done instead of failing.
      advisoryLockMode: "wait",
      // node-pg-migrate logs to console unless given a logger.
      logger: {
        debug: (msg) => log?.debug(msg),
        info: (msg) => log?.debug(msg),
        warn: (msg) => log?.warn(msg),
        error: (msg) => log?.error(msg),
      },
    });
    if (applied.length > 0) log?.info({ migrations: applied.map((m) => m.name) }, "database migrated");
  } catch (err) {
    throw toStoreError(err, "migrate");
  }
}
