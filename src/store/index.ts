/** The Postgres store: what the composition root and the metrics layer need. */
export { createPgStore, PgStore, poolStats, type PgStoreOptions } from "./pg-store.js";
export type { PoolStats } from "./pool.js";
export { migrate, migrationsDir, MIGRATIONS_TABLE } from "./migrate.js";
export { startEmbeddedPostgres, type EmbeddedPostgres, type EmbeddedPostgresOptions } from "./embedded.js";
export { verifyLedger, type LedgerProblem, type LedgerVerification } from "./ledger-verify.js";
export { ledgerEntryHash, ledgerGenesisHash, type LedgerHashFields } from "./ledger-hash.js";
export { AccountExistsError, isUnavailable } from "./errors.js";
