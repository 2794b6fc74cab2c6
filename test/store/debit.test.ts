import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PgStore } from "../../src/store/pg-store.js";
import { verifyLedger } from "../../src/store/ledger-verify.js";
import { chainedCalls, chargedCalls, closeAllPeriods, fund, newAccount, openContendedStore, sha256Hex, tally } from "./helpers.js";

let store: PgStore;
let close: () => Promise<void> = async () => {};

beforeAll(async () => {
  ({ store, close } = await openContendedStore());
});
afterAll(() => close());

/** Ledger entries plus calls recorded in usage detail (open periods write no entry yet). */
async function ledgerCount(clientId: string): Promise<number> {
  const res = await store.pool.query("SELECT count(*)::int AS n FROM ledger_entries WHERE client_id = $1", [clientId]);
  return (res.rows[0].n as number) + (await chargedCalls(store.pool, clientId)).n;
}

describe("prepaid debit", () => {
  it("500 concurrent debits against a balance of 100 prices apply exactly 100 and never overdraw", async () => {
    const price = 1234n;
    const acct = await newAccount(store);
    await fund(store, acct.clientId, 100n * price);
    const outcomes = await Promise.all(
      Array.from({ length: 500 }, (_, i) =>
        store.debit({ clientId: acct.clientId, keyHash: acct.keyHash, amountMicro: price, routeId: "r", method: "GET", ref: `d-${i}` }),
      ),
    );
    expect(tally(outcomes)).toEqual({ applied: 100, insufficient: 400 });
    expect((await store.getAccount(acct.clientId))?.balanceMicro).toBe(0n);
    // Every applied call is recorded once, in the detail of its (still open) usage period.
    expect(await chargedCalls(store.pool, acct.clientId)).toEqual({ n: 100, total: 100n * price });
    const balances = outcomes.flatMap((o) => (o.kind === "applied" ? [o.balanceMicro] : []));
    expect(new Set(balances).size).toBe(100);
    // The open period counts in verification (chain balance − open total = balance); closed, it is in the chain.
    expect(await verifyLedger(store)).toEqual({ ok: true, accounts: 1, entries: 1 });
    await closeAllPeriods(store.pool);
    expect(await chainedCalls(store.pool, acct.clientId)).toEqual({ n: 100, total: 100n * price });
    expect(await verifyLedger(store)).toMatchObject({ ok: true, accounts: 1 });
  });

  it("an applied debit returns the remaining balance and the id of the ledger entry that holds it", async () => {
    const acct = await newAccount(store);
    await fund(store, acct.clientId, 5000n);
    const out = await store.debit({
      clientId: acct.clientId,
      keyHash: acct.keyHash,
      amountMicro: 1500n,
      routeId: "r",
      method: "POST",
      ref: "dec-1",
    });
    expect(out).toMatchObject({ kind: "applied", balanceMicro: 3500n });
    if (out.kind !== "applied") return;
    const detail = await store.pool.query("SELECT amount_micro::text, route_id, method FROM usage_events WHERE decision_id = 'dec-1'");
    expect(detail.rows).toEqual([{ amount_micro: "1500", route_id: "r", method: "POST" }]);
    // The id was drawn when the period opened; the usage entry carries it once the period closes.
    await closeAllPeriods(store.pool);
    const entry = await store.pool.query("SELECT kind, amount_micro::text, call_count::int, first_ref FROM ledger_entries WHERE id = $1", [
      out.entryId,
    ]);
    expect(entry.rows[0]).toEqual({ kind: "usage", amount_micro: "-1500", call_count: 1, first_ref: "dec-1" });
  });

  it("a wrong key or unknown client is bad_credentials and writes nothing", async () => {
    const acct = await newAccount(store);
    await fund(store, acct.clientId, 5000n);
    const base = { amountMicro: 100n, routeId: "r", method: "GET", ref: "x" };
    expect(await store.debit({ ...base, clientId: acct.clientId, keyHash: sha256Hex("wrong") })).toEqual({ kind: "bad_credentials" });
    expect(await store.debit({ ...base, clientId: "nobody", keyHash: acct.keyHash })).toEqual({ kind: "bad_credentials" });
    expect((await store.getAccount(acct.clientId))?.balanceMicro).toBe(5000n);
    expect(await ledgerCount(acct.clientId)).toBe(1);
  });

  it("a suspended account is refused as suspended and writes nothing", async () => {
    const acct = await newAccount(store);
    await fund(store, acct.clientId, 5000n);
    await store.pool.query("UPDATE prepaid_accounts SET status = 'suspended' WHERE client_id = $1", [acct.clientId]);
    const out = await store.debit({
      clientId: acct.clientId,
      keyHash: acct.keyHash,
      amountMicro: 100n,
      routeId: "r",
      method: "GET",
      ref: "x",
    });
    expect(out).toEqual({ kind: "suspended" });
    expect((await store.getAccount(acct.clientId))?.balanceMicro).toBe(5000n);
    expect(await ledgerCount(acct.clientId)).toBe(1);
  });

  it("a debit above the balance is insufficient, reports the balance and writes nothing", async () => {
    const acct = await newAccount(store);
    await fund(store, acct.clientId, 999n);
    const out = await store.debit({
      clientId: acct.clientId,
      keyHash: acct.keyHash,
      amountMicro: 1000n,
      routeId: "r",
      method: "GET",
      ref: "x",
    });
    expect(out).toEqual({ kind: "insufficient", balanceMicro: 999n });
    expect(await ledgerCount(acct.clientId)).toBe(1);
  });

  it("a non-positive debit amount is a programming error", async () => {
    const acct = await newAccount(store);
    await expect(
      store.debit({ clientId: acct.clientId, keyHash: acct.keyHash, amountMicro: 0n, routeId: "r", method: "GET", ref: "x" }),
    ).rejects.toBeInstanceOf(RangeError);
  });

  it("the ledger refuses UPDATE and DELETE of entries", async () => {
    const acct = await newAccount(store);
    await fund(store, acct.clientId, 10n);
    await expect(store.pool.query("UPDATE ledger_entries SET amount_micro = 1 WHERE client_id = $1", [acct.clientId])).rejects.toThrow(
      /append-only/,
    );
    await expect(store.pool.query("DELETE FROM ledger_entries WHERE client_id = $1", [acct.clientId])).rejects.toThrow(/append-only/);
  });
});
