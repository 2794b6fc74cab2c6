/**
 * Exactly one replica writes: two watchers on one database elect one through the advisory lock, the
 * other stands by and takes over within seconds when the writer's session dies or it stops.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Invoice } from "../../src/core/invoices.js";
import type { StartedWatcher } from "../../src/watcher/index.js";
import { broadcastSpread, extraWatcher, invoicesLike, presign, startWatcherStack, waitUntil, type WatcherStack } from "./helpers.js";

const PAYERS = 4;

describe("payment watcher: one writer at a time", () => {
  let s: WatcherStack;
  let tmpl: Invoice;
  const written = new Map<string, number>();
  let a: StartedWatcher;
  let b: StartedWatcher;
  const count = async () =>
    (await s.gw.store.pool.query("SELECT count(*)::int AS n, count(DISTINCT tx_hash)::int AS d FROM payments")).rows[0] as {
      n: number;
      d: number;
    };
  const track = (name: string) => (r: { recorded: number }) => void written.set(name, (written.get(name) ?? 0) + r.recorded);

  async function pay(n: number, tag: string): Promise<string[]> {
    const invoices = invoicesLike(s.codec, tmpl, n, tag);
    const per = Array.from({ length: PAYERS }, (_, w) => invoices.filter((_, i) => i % PAYERS === w));
    const signed = await Promise.all(
      per.map((invs, w) =>
        presign(
          s.devnet,
          s.query,
          w + 1,
          s.payTo,
          invs.map((i) => ({ amountMicro: i.amountMicro, memo: i.id })),
        ),
      ),
    );
    return broadcastSpread(s.devnet, s.query, signed, 10);
  }

  beforeAll(async () => {
    s = await startWatcherStack({ accounts: PAYERS + 1, env: { GATEWAY_WATCHER: "false" } });
    tmpl = s.codec.issue({
      amountMicro: 1000n,
      method: "GET",
      routeId: "default",
      expiresAt: Math.floor(Date.now() / 1000) + 3600,
      issueHeight: 1,
      nonce: "t",
      uses: 1,
    });
    a = extraWatcher(s, "a", track("a"));
    b = extraWatcher(s, "b", track("b"));
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await s?.stop();
  });

  it("two instances: exactly one holds the lock and writes, and no payment is recorded twice", async () => {
    await waitUntil(() => a.isLeader() || b.isLeader(), 5_000, "a leader");
    await new Promise((r) => setTimeout(r, 500)); // the standby has retried the lock at least twice by now
    expect([a.isLeader(), b.isLeader()].filter(Boolean)).toHaveLength(1);
    const hashes = await pay(100, "two");
    // A pass reports what it recorded (onPass) after its commit and cursor save: wait for the report too,
    // not only for the rows, or the last pass's count is read before it arrives.
    const reported = () => [...written.values()].reduce((x, y) => x + y, 0);
    await waitUntil(async () => (await count()).n >= 100 && reported() >= 100, 10_000, "100 payments recorded and reported");
    expect(await count()).toEqual({ n: 100, d: 100 });
    const leader = a.isLeader() ? "a" : "b";
    const standby = leader === "a" ? "b" : "a";
    expect(written.get(leader)).toBe(100);
    expect(written.get(standby) ?? 0).toBe(0);
    expect(hashes).toHaveLength(100);
  });

  it("terminating the writer's database session hands the lock to the other instance within seconds", async () => {
    const [leader, other] = a.isLeader() ? [a, b] : [b, a];
    const pid = await leader.backendPid();
    expect(pid).not.toBeNull();
    const admin = new pg.Client({ connectionString: s.db.url });
    await admin.connect();
    const killedAt = Date.now();
    try {
      await admin.query("SELECT pg_terminate_backend($1)", [pid]);
    } finally {
      await admin.end();
    }
    await waitUntil(() => other.isLeader(), 15_000, "takeover");
    const tookOverMs = Date.now() - killedAt;
    expect(tookOverMs).toBeLessThan(3_000);
    await pay(50, "after-kill");
    await waitUntil(async () => (await count()).n >= 150, 10_000, "payments after takeover recorded");
    expect(await count()).toEqual({ n: 150, d: 150 });
    expect(leader.isLeader()).toBe(false); // the old writer reconnected as a standby
  });

  it("a writer that dies (session closed without unlocking) is replaced and nothing sent meanwhile is lost", async () => {
    const [leader, other, name] = a.isLeader() ? [a, b, "a"] : [b, a, "b"];
    const diedAt = Date.now();
    await leader.crash();
    await waitUntil(() => other.isLeader(), 15_000, "takeover after crash");
    expect(Date.now() - diedAt).toBeLessThan(3_000);
    await pay(50, "after-crash");
    await waitUntil(async () => (await count()).n >= 200, 10_000, "payments after crash recorded");
    expect(await count()).toEqual({ n: 200, d: 200 });
    if (name === "a") a = extraWatcher(s, "a2");
    else b = extraWatcher(s, "b2"); // afterAll stops a live one
  });
});
