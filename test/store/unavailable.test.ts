import { createServer, type Server, type Socket } from "node:net";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StoreUnavailableError } from "../../src/ports/errors.js";
import { freePort } from "../../src/store/embedded.js";
import { createPgStore, type PgStore } from "../../src/store/pg-store.js";
import { freshDatabase, type TestDatabase } from "../support/db.js";
import { newAccount, redeemInput, fund } from "./helpers.js";

let db: TestDatabase;
beforeAll(async () => {
  db = await freshDatabase();
});
afterAll(() => db?.drop());

async function timed<T>(p: Promise<T>): Promise<{ err: unknown; ms: number }> {
  const t0 = Date.now();
  try {
    await p;
    return { err: undefined, ms: Date.now() - t0 };
  } catch (err) {
    return { err, ms: Date.now() - t0 };
  }
}

const debitOf = (clientId: string, keyHash: string) =>
  ({ clientId, keyHash, amountMicro: 1n, routeId: "r", method: "GET", ref: "x" }) as const;

describe("store outages", () => {
  it("a connection killed while checked out fails its query and does not crash the process", async () => {
    const store = createPgStore({ databaseUrl: db.url });
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    try {
      const client = await store.pool.connect();
      const { pid } = (await client.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]!;
      // Without a listener of the store's own, pg emits this connection's 'error' on the checked-out
      // client with nobody listening: an uncaught exception that fails this run.
      // Settled into a value at once: the rejection may arrive before the terminate call returns.
      const running = client.query("SELECT pg_sleep(5)").then(
        () => undefined,
        (err: unknown) => err,
      );
      await admin.query("SELECT pg_terminate_backend($1)", [pid]);
      expect(await running).toBeInstanceOf(Error);
      await new Promise((r) => setTimeout(r, 100));
      client.release(new Error("terminated"));
      expect(await store.ping()).toBeUndefined();
    } finally {
      await admin.end();
      await store.close();
    }
  });

  it("a database on a closed port fails fast with StoreUnavailableError", async () => {
    const port = await freePort();
    const store = createPgStore({ databaseUrl: `postgres://postgres@127.0.0.1:${port}/gate402` });
    try {
      const ping = await timed(store.ping());
      expect(ping.err).toBeInstanceOf(StoreUnavailableError);
      expect(ping.ms).toBeLessThan(2000);
      expect((ping.err as Error).cause).toBeDefined();
      const debit = await timed(store.debit(debitOf("c", "k")));
      expect(debit.err).toBeInstanceOf(StoreUnavailableError);
      const redeem = await timed(store.redeem(redeemInput()));
      expect(redeem.err).toBeInstanceOf(StoreUnavailableError);
    } finally {
      await store.close();
    }
  });

  it("a server that accepts but never answers fails within the connect timeout", async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    const port = (silent.address() as { port: number }).port;
    const store = createPgStore({ databaseUrl: `postgres://postgres@127.0.0.1:${port}/gate402`, connectTimeoutMs: 300 });
    try {
      const ping = await timed(store.ping());
      expect(ping.err).toBeInstanceOf(StoreUnavailableError);
      expect(ping.ms).toBeLessThan(2000);
    } finally {
      await store.close();
      for (const s of sockets) s.destroy();
      await new Promise((r) => silent.close(r));
    }
  });

  describe("with a locked account row", () => {
    let store: PgStore;
    let locker: pg.Client;
    let acct: { clientId: string; keyHash: string };

    beforeAll(async () => {
      store = createPgStore({ databaseUrl: db.url, statementTimeoutMs: 300 });
      acct = await newAccount(store);
      await fund(store, acct.clientId, 1000n);
      locker = new pg.Client({ connectionString: db.url });
      await locker.connect();
      await locker.query("BEGIN");
      await locker.query("SELECT 1 FROM prepaid_accounts WHERE client_id = $1 FOR UPDATE", [acct.clientId]);
    });
    afterAll(async () => {
      await locker?.query("ROLLBACK");
      await locker?.end();
      await store?.close();
    });

    it("a statement that exceeds statement_timeout is StoreUnavailableError, not a refusal", async () => {
      const debit = await timed(store.debit(debitOf(acct.clientId, acct.keyHash)));
      expect(debit.err).toBeInstanceOf(StoreUnavailableError);
      expect(((debit.err as Error).cause as { code?: string }).code).toBe("57014");
      expect(debit.ms).toBeLessThan(2000);
    });

    it("a connection terminated by an administrator is StoreUnavailableError", async () => {
      const slow = createPgStore({ databaseUrl: db.url, statementTimeoutMs: 10_000 });
      try {
        const pending = timed(slow.debit(debitOf(acct.clientId, acct.keyHash)));
        // Not on `locker`: inside its transaction pg_stat_activity is a frozen snapshot.
        await expect
          .poll(
            async () => {
              const res = await slow.pool.query(
                "SELECT pg_terminate_backend(pid) AS t FROM pg_stat_activity WHERE application_name = 'gate402' AND wait_event_type = 'Lock'",
              );
              return res.rowCount;
            },
            { timeout: 5000, interval: 50 },
          )
          .toBeGreaterThan(0);
        const debit = await pending;
        expect(debit.err).toBeInstanceOf(StoreUnavailableError);
      } finally {
        await slow.close();
      }
    });
  });

  it("errors that are not outages are rethrown unchanged", async () => {
    const store = createPgStore({ databaseUrl: db.url });
    try {
      const err = await timed(store.redeem(redeemInput({ txHash: "not-hex" })));
      expect(err.err).toBeInstanceOf(Error);
      expect(err.err).not.toBeInstanceOf(StoreUnavailableError);
      expect((err.err as { code?: string }).code).toBe("23514");
    } finally {
      await store.close();
    }
  });
});
