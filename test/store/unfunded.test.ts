import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PgStore } from "../../src/store/pg-store.js";
import { removeUnfundedAccounts } from "../../src/store/unfunded.js";
import { fund, newAccount, openContendedStore } from "./helpers.js";

let store: PgStore;
let close: () => Promise<void> = async () => {};
beforeAll(async () => {
  ({ store, close } = await openContendedStore());
});
afterAll(() => close());

const age = (clientId: string, seconds: number) =>
  store.pool.query("UPDATE prepaid_accounts SET created_at = now() - make_interval(secs => $2) WHERE client_id = $1", [clientId, seconds]);

describe("removal of never-funded prepaid accounts", () => {
  it("removes only accounts older than the TTL that never had a ledger entry", async () => {
    const oldEmpty = await newAccount(store);
    const youngEmpty = await newAccount(store);
    const oldFunded = await newAccount(store);
    const oldSpent = await newAccount(store);
    await fund(store, oldFunded.clientId, 1000n);
    await fund(store, oldSpent.clientId, 500n);
    expect(
      (
        await store.debit({
          clientId: oldSpent.clientId,
          keyHash: oldSpent.keyHash,
          amountMicro: 500n,
          routeId: "r",
          method: "GET",
          ref: "d-1",
        })
      ).kind,
    ).toBe("applied");
    for (const a of [oldEmpty, oldFunded, oldSpent]) await age(a.clientId, 8 * 86_400);
    await age(youngEmpty.clientId, 3600);

    expect(await removeUnfundedAccounts(store.pool, 7 * 86_400)).toBe(1);
    expect(await store.getAccount(oldEmpty.clientId)).toBeNull();
    for (const a of [youngEmpty, oldFunded, oldSpent]) expect(await store.getAccount(a.clientId)).not.toBeNull();
    expect(await removeUnfundedAccounts(store.pool, 7 * 86_400)).toBe(0);
  });

  it("a deposit credited at the same time as the sweep keeps the account (and its money)", async () => {
    for (let round = 0; round < 20; round++) {
      const a = await newAccount(store);
      await age(a.clientId, 8 * 86_400);
      const [removed] = await Promise.all([
        removeUnfundedAccounts(store.pool, 7 * 86_400),
        fund(store, a.clientId, 100n).catch(() => "unknown"),
      ]);
      const account = await store.getAccount(a.clientId);
      // Either the sweep won (no account, and the deposit was refused), or the deposit did (account kept, funded).
      if (account) expect(account.balanceMicro).toBe(100n);
      else expect(removed).toBe(1);
    }
  });
});
