import { readdirSync } from "node:fs";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { StoreUnavailableError } from "../../src/ports/errors.js";
import { freePort } from "../../src/store/embedded.js";
import { migrate, migrationsDir, MIGRATIONS_TABLE } from "../../src/store/migrate.js";
import { emptyDatabase, type TestDatabase } from "../support/db.js";

const dbs: TestDatabase[] = [];
/** Every migration shipped in migrations/, in order ("0001_prepaid-ledger", …). */
const SHIPPED = readdirSync(migrationsDir())
  .filter((f) => f.endsWith(".sql"))
  .map((f) => f.replace(/\.sql$/, ""))
  .sort();
afterEach(async () => {
  for (const db of dbs.splice(0)) await db.drop();
});

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

describe("migrate", () => {
  it("three replicas migrating a fresh database at once all succeed and apply each migration once", async () => {
    const db = await emptyDatabase();
    dbs.push(db);
    await Promise.all([migrate(db.url), migrate(db.url), migrate(db.url)]);
    await withClient(db.url, async (c) => {
      const applied = await c.query(`SELECT name FROM ${MIGRATIONS_TABLE} ORDER BY id`);
      expect(applied.rows.map((r) => r.name)).toEqual(SHIPPED);
      const tables = await c.query(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> $1 ORDER BY 1`,
        [MIGRATIONS_TABLE],
      );
      expect(tables.rows.map((r) => r.table_name)).toEqual(
        expect.arrayContaining(["ledger_entries", "prepaid_accounts", "redemptions", "spent_txs"]),
      );
    });
  });

  it("migrating an up-to-date database again changes nothing", async () => {
    const db = await emptyDatabase();
    dbs.push(db);
    await migrate(db.url);
    await migrate(db.url);
    const n = await withClient(db.url, (c) => c.query(`SELECT count(*)::int AS n FROM ${MIGRATIONS_TABLE}`));
    expect(SHIPPED.length).toBeGreaterThanOrEqual(2);
    expect(n.rows[0].n).toBe(SHIPPED.length);
  });

  it("every money column carries its unit comment (uneutaro, or the smallest unit of its row's denom)", async () => {
    const db = await emptyDatabase();
    dbs.push(db);
    await migrate(db.url);
    const cols = await withClient(db.url, (c) =>
      c.query(`SELECT c.table_name, c.column_name, col_description(format('%I', c.table_name)::regclass, c.ordinal_position) AS comment
                 FROM information_schema.columns c
                WHERE c.table_schema = 'public' AND c.column_name LIKE '%\\_micro'`),
    );
    // The core money columns exist and, like every other *_micro column, carry the comment.
    expect(cols.rows.map((r) => `${r.table_name}.${r.column_name}`)).toEqual(
      expect.arrayContaining([
        "prepaid_accounts.balance_micro",
        "ledger_entries.amount_micro",
        "ledger_entries.balance_after_micro",
        "redemptions.price_micro",
        "redemptions.paid_micro",
      ]),
    );
    // Balances in other assets (migration 0012) name their unit by the row's denom.
    for (const row of cols.rows) expect(row.comment, `${row.table_name}.${row.column_name}`).toMatch(/^(uneutaro|smallest unit of denom)/);
  });

  it("the migrations directory ships the SQL files", () => {
    expect(migrationsDir()).toMatch(/migrations$/);
  });

  it("an unreachable database is StoreUnavailableError", async () => {
    const port = await freePort();
    await expect(migrate(`postgres://postgres@127.0.0.1:${port}/x`)).rejects.toBeInstanceOf(StoreUnavailableError);
  });
});

describe("down migrations", () => {
  it("rolling every migration back leaves no gate402 table or function behind", async () => {
    const { runner } = await import("node-pg-migrate");
    const db = await emptyDatabase();
    dbs.push(db);
    await migrate(db.url);
    const silent = { info: () => {}, warn: () => {}, error: () => {} };
    await runner({
      databaseUrl: db.url,
      dir: migrationsDir(),
      migrationsTable: MIGRATIONS_TABLE,
      direction: "down",
      count: Infinity,
      logger: silent,
    });
    await withClient(db.url, async (c) => {
      const left = await c.query(
        `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> $1
         UNION ALL SELECT proname FROM pg_proc WHERE pronamespace = 'public'::regnamespace`,
        [MIGRATIONS_TABLE],
      );
      expect(left.rows).toEqual([]);
    });
    await migrate(db.url);
  });
});
