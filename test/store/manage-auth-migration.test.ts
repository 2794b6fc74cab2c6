/** migrations/0008_manage-auth-hardening.sql keeps rows written under 0004 valid (operators stay enabled and can log in). */
import { readdirSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { changeOperator, findOperator } from "../../src/manage/auth/operators.js";
import { hashPassword, verifyPassword } from "../../src/manage/auth/passwords.js";
import { migrate, migrationsDir, MIGRATIONS_TABLE } from "../../src/store/migrate.js";
import { createPool } from "../../src/store/pool.js";
import { emptyDatabase, type TestDatabase } from "../support/db.js";

const SHIPPED = readdirSync(migrationsDir())
  .filter((f) => f.endsWith(".sql"))
  .sort();
let db: TestDatabase | undefined;
afterAll(() => db?.drop());

describe("0008_manage-auth-hardening on a database with operators from 0004", () => {
  it("existing operators are enabled, keep their password and can be disabled afterwards", async () => {
    const { runner } = await import("node-pg-migrate");
    db = await emptyDatabase();
    const silent = { info: () => {}, warn: () => {}, error: () => {} };
    const upTo0004 = SHIPPED.indexOf("0004_management.sql") + 1;
    expect(upTo0004).toBeGreaterThan(0);
    await runner({
      databaseUrl: db.url,
      dir: migrationsDir(),
      migrationsTable: MIGRATIONS_TABLE,
      direction: "up",
      count: upTo0004,
      logger: silent,
    });
    const pool = createPool({ databaseUrl: db.url, poolMax: 2 });
    try {
      const hash = await hashPassword("an old operator password", { ln: 10, r: 8, p: 1 });
      await pool.query(
        "INSERT INTO operators (username, password_hash, role, bootstrap, created_by) VALUES ('old-admin', $1, 'admin', true, 'bootstrap'), ('old-viewer', $1, 'viewer', false, 'old-admin')",
        [hash],
      );
      await migrate(db.url);
      const admin = await findOperator(pool, "old-admin");
      expect(admin).toMatchObject({ username: "old-admin", role: "admin", disabledAt: null });
      expect(await verifyPassword("an old operator password", admin!.passwordHash)).toBe(true);
      expect((await changeOperator(pool, "old-viewer", "disable")).kind).toBe("done");
      expect((await findOperator(pool, "old-viewer"))!.disabledAt).toBeInstanceOf(Date);
      expect((await changeOperator(pool, "old-admin", "disable")).kind).toBe("last_admin");
    } finally {
      await pool.end();
    }
  });
});
