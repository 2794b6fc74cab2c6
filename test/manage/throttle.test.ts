/** The login throttle against real Postgres: counting, lockout not extended while locked, window, pruning. */
import { setTimeout as sleep } from "node:timers/promises";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLoginThrottle, operatorKey } from "../../src/manage/auth/throttle.js";
import { createPool } from "../../src/store/pool.js";
import { freshDatabase, type TestDatabase } from "../support/db.js";

let db: TestDatabase;
let pool: pg.Pool;
beforeAll(async () => {
  db = await freshDatabase();
  pool = createPool({ databaseUrl: db.url, poolMax: 4 });
});
afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

const row = async (key: string) =>
  (
    await pool.query<{ failures: number; locked_until: Date | null }>("SELECT failures, locked_until FROM login_failures WHERE key = $1", [
      key,
    ])
  ).rows[0];

describe("login throttle", () => {
  it("locks at max, counts nothing and extends nothing while locked, and unlocks after the lockout", async () => {
    const throttle = createLoginThrottle(pool, { lockoutSeconds: 5, windowSeconds: 600 });
    const k = [operatorKey("alice", 3)];
    expect(await throttle.attempt(k)).toEqual({ kind: "counted", lockout: 0 });
    expect(await throttle.attempt(k)).toEqual({ kind: "counted", lockout: 0 });
    const third = await throttle.attempt(k);
    expect(third.kind === "counted" && third.lockout).toBeGreaterThanOrEqual(1);
    const locked = await row("operator:alice");
    expect(locked?.failures).toBe(0);
    const again = await throttle.attempt(k);
    expect(again.kind).toBe("locked");
    expect(await row("operator:alice")).toEqual(locked); // not counted, lockout not extended
    expect(await throttle.lockedFor(k)).toBeGreaterThanOrEqual(1);
    await sleep(5300);
    expect(await throttle.lockedFor(k)).toBe(0);
    expect(await throttle.attempt(k)).toEqual({ kind: "counted", lockout: 0 });
  });

  it("forgets failures older than the window, and prunes such rows", async () => {
    const throttle = createLoginThrottle(pool, { lockoutSeconds: 60, windowSeconds: 1 });
    const k = [operatorKey("bob", 2)];
    expect(await throttle.attempt(k)).toEqual({ kind: "counted", lockout: 0 });
    await sleep(1300);
    expect(await throttle.attempt(k)).toEqual({ kind: "counted", lockout: 0 }); // the first one was forgotten
    expect((await row("operator:bob"))?.failures).toBe(1);
    await sleep(1300);
    for (let i = 0; i < 100; i++) await throttle.attempt([operatorKey(`carol-${i}`, 1000)]);
    // the prune runs in the background: wait for it (bounded)
    for (let t = 0; t < 50 && (await row("operator:bob")) !== undefined; t++) await sleep(100);
    expect(await row("operator:bob")).toBeUndefined();
  });
});
