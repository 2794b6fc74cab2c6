import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AccountExistsError } from "../../src/store/errors.js";
import { createPgStore, poolStats, type PgStore } from "../../src/store/pg-store.js";
import { freshDatabase, type TestDatabase } from "../support/db.js";
import { newAccount, sha256Hex } from "./helpers.js";

let db: TestDatabase;
let store: PgStore;

beforeAll(async () => {
  db = await freshDatabase();
  store = createPgStore({ databaseUrl: db.url, poolMax: 4 });
});
afterAll(async () => {
  await store?.close();
  await db?.drop();
});

describe("prepaid accounts", () => {
  it("a new account starts active at balance 0 and is found by id and by deposit memo", async () => {
    const acct = await newAccount(store);
    const byId = await store.getAccount(acct.clientId);
    expect(byId).toMatchObject({ clientId: acct.clientId, balanceMicro: 0n, depositMemo: acct.depositMemo, status: "active" });
    expect(byId?.createdAt).toBeInstanceOf(Date);
    expect(await store.findAccountByDepositMemo(acct.depositMemo)).toEqual(byId);
  });

  it("unknown ids and memos are null", async () => {
    expect(await store.getAccount("nobody")).toBeNull();
    expect(await store.findAccountByDepositMemo("no-memo")).toBeNull();
  });

  it("checkKey accepts only the account's own key hash", async () => {
    const acct = await newAccount(store);
    expect(await store.checkKey(acct.clientId, acct.keyHash)).toBe(true);
    expect(await store.checkKey(acct.clientId, sha256Hex("other"))).toBe(false);
    expect(await store.checkKey("nobody", acct.keyHash)).toBe(false);
  });

  it("a taken client id or deposit memo is refused with AccountExistsError naming the field", async () => {
    const acct = await newAccount(store);
    await expect(newAccount(store, { clientId: acct.clientId })).rejects.toMatchObject({ name: "AccountExistsError", field: "clientId" });
    await expect(newAccount(store, { depositMemo: acct.depositMemo })).rejects.toBeInstanceOf(AccountExistsError);
    await expect(newAccount(store, { depositMemo: acct.depositMemo })).rejects.toMatchObject({ field: "depositMemo" });
  });

  it("ping answers and the pool gauges count its connections", async () => {
    await store.ping();
    const stats = poolStats(store);
    expect(stats.total).toBeGreaterThanOrEqual(1);
    expect(stats.total).toBeLessThanOrEqual(4);
    expect(stats.waiting).toBe(0);
    expect(poolStats(store.pool)).toEqual(store.poolStats());
  });

  it("close is idempotent", async () => {
    const other = createPgStore({ databaseUrl: db.url });
    await other.ping();
    await other.close();
    await expect(other.close()).resolves.toBeUndefined();
  });
});
