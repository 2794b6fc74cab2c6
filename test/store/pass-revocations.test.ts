import type pg from "pg";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RevokedPasses } from "../../src/core/passes/revocations.js";
import { createPool } from "../../src/store/pool.js";
import { followRevocations, revokePass, type RevocationFollower } from "../../src/store/pass-revocations.js";
import { freshDatabase, type TestDatabase } from "../support/db.js";

const log = pino({ level: "silent" });
const inAnHour = () => new Date(Date.now() + 3_600_000);

async function until(cond: () => boolean, ms: number): Promise<number> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error(`not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return Date.now() - t0;
}

describe("pass revocations (Postgres LISTEN/NOTIFY)", () => {
  let db: TestDatabase;
  let pool: pg.Pool;
  const followers: RevocationFollower[] = [];
  const follow = async (reconnectMs = 200) => {
    const list = new RevokedPasses();
    const f = followRevocations({ databaseUrl: db.url, list, log, reconnectMs });
    followers.push(f);
    await f.ready;
    return list;
  };

  beforeAll(async () => {
    db = await freshDatabase();
    pool = createPool({ databaseUrl: db.url });
  });
  afterAll(async () => {
    for (const f of followers) await f.stop();
    await pool?.end();
    await db?.drop();
  });

  it("a follower starts with every unexpired revocation; an expired one is not loaded", async () => {
    expect(await revokePass(pool, { jti: "before-start-0001", expiresAt: inAnHour(), reason: "test" })).toBe(true);
    expect(await revokePass(pool, { jti: "before-start-0001", expiresAt: inAnHour() })).toBe(false);
    await revokePass(pool, { jti: "long-expired-0001", expiresAt: new Date(Date.now() - 1000) });
    const list = await follow();
    expect(list.isRevoked("before-start-0001")).toBe(true);
    expect(list.isRevoked("long-expired-0001")).toBe(false);
  });

  it("two followers (two replicas) see a new revocation within 2 s", async () => {
    const [a, b] = [await follow(), await follow()];
    await revokePass(pool, { jti: "live-revocation-0001", expiresAt: inAnHour() });
    const ms = await until(() => a.isRevoked("live-revocation-0001") && b.isRevoked("live-revocation-0001"), 2000);
    expect(ms).toBeLessThan(2000);
  });

  it("a follower whose connection was killed reconnects and reloads the revocation it could not hear", async () => {
    const listenerPids = async () =>
      (
        await pool.query<{ pid: number }>(
          "SELECT pid FROM pg_stat_activity WHERE application_name = 'gate402-revocations' AND datname = current_database()",
        )
      ).rows.map((r) => r.pid);
    for (const f of followers.splice(0)) await f.stop();
    const list = await follow(1000);
    const [old] = await listenerPids();
    expect(old).toBeDefined();
    await pool.query("SELECT pg_terminate_backend($1)", [old]);
    for (let i = 0; (await listenerPids()).includes(old!); i++) {
      if (i > 200) throw new Error("listener backend did not go away");
      await new Promise((r) => setTimeout(r, 10));
    }
    // Nobody is listening now: only the reload after the reconnect can tell the follower.
    await revokePass(pool, { jti: "while-disconnected-01", expiresAt: inAnHour() });
    await until(() => list.isRevoked("while-disconnected-01"), 5000);
    expect((await listenerPids()).filter((p) => p !== old)).toHaveLength(1);
    await revokePass(pool, { jti: "after-reconnect-0001", expiresAt: inAnHour() });
    await until(() => list.isRevoked("after-reconnect-0001"), 2000);
  });
});
