import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PgStore } from "../../src/store/pg-store.js";
import { verifyLedger } from "../../src/store/ledger-verify.js";
import { newAccount, openContendedStore, redeemInput, tally, txHash } from "./helpers.js";

let store: PgStore;
let close: () => Promise<void> = async () => {};

beforeAll(async () => {
  ({ store, close } = await openContendedStore());
});
afterAll(() => close());

const deposit = (clientId: string, tx: string, amountMicro = 5_000_000n) =>
  ({ clientId, txHash: tx, amountMicro, height: 42, sender: "neutaro1sender" }) as const;

describe("prepaid deposits", () => {
  it("a deposit tx credited concurrently 20 times is applied once and replayed 19 times", async () => {
    const acct = await newAccount(store);
    const tx = txHash();
    const outcomes = await Promise.all(Array.from({ length: 20 }, () => store.creditDeposit(deposit(acct.clientId, tx))));
    expect(tally(outcomes)).toEqual({ applied: 1, replayed: 19 });
    for (const o of outcomes) expect(o).toMatchObject({ balanceMicro: 5_000_000n });
    expect((await store.getAccount(acct.clientId))?.balanceMicro).toBe(5_000_000n);
    const entries = await store.pool.query("SELECT kind, amount_micro::text, tx_hash FROM ledger_entries WHERE client_id = $1", [
      acct.clientId,
    ]);
    expect(entries.rows).toEqual([{ kind: "deposit", amount_micro: "5000000", tx_hash: tx }]);
  });

  it("a replay reports the current balance, after later debits", async () => {
    const acct = await newAccount(store);
    const tx = txHash();
    await store.creditDeposit(deposit(acct.clientId, tx, 1000n));
    await store.debit({ clientId: acct.clientId, keyHash: acct.keyHash, amountMicro: 300n, routeId: "r", method: "GET", ref: "d" });
    expect(await store.creditDeposit(deposit(acct.clientId, tx, 1000n))).toEqual({ kind: "replayed", balanceMicro: 700n });
  });

  it("a tx credited to one account is tx_used for another and credits nothing there", async () => {
    const a = await newAccount(store);
    const b = await newAccount(store);
    const tx = txHash();
    expect((await store.creditDeposit(deposit(a.clientId, tx))).kind).toBe("applied");
    expect(await store.creditDeposit(deposit(b.clientId, tx))).toEqual({ kind: "tx_used" });
    expect((await store.getAccount(b.clientId))?.balanceMicro).toBe(0n);
  });

  it("a tx that paid an invoice can never be credited as a deposit", async () => {
    const acct = await newAccount(store);
    const input = redeemInput();
    expect((await store.redeem(input)).kind).toBe("applied");
    expect(await store.creditDeposit(deposit(acct.clientId, input.txHash))).toEqual({ kind: "tx_used" });
    expect((await store.getAccount(acct.clientId))?.balanceMicro).toBe(0n);
  });

  it("a deposit tx can never pay an invoice", async () => {
    const acct = await newAccount(store);
    const tx = txHash();
    await store.creditDeposit(deposit(acct.clientId, tx));
    expect(await store.redeem(redeemInput({ txHash: tx }))).toEqual({ kind: "tx_is_deposit" });
  });

  it("racing a deposit and an invoice redemption of one tx, exactly one of them wins", async () => {
    for (let round = 0; round < 10; round++) {
      const acct = await newAccount(store);
      const tx = txHash();
      const [dep, red] = await Promise.all([store.creditDeposit(deposit(acct.clientId, tx)), store.redeem(redeemInput({ txHash: tx }))]);
      const wins = [dep.kind === "applied", red.kind === "applied"].filter(Boolean).length;
      expect(wins).toBe(1);
      expect(dep.kind === "applied" ? red.kind : dep.kind).toBe(dep.kind === "applied" ? "tx_is_deposit" : "tx_used");
    }
  });

  it("a deposit to an unknown account is unknown_account and leaves the tx unclaimed", async () => {
    const tx = txHash();
    expect(await store.creditDeposit(deposit("no-such-client", tx))).toEqual({ kind: "unknown_account" });
    const acct = await newAccount(store);
    expect((await store.creditDeposit(deposit(acct.clientId, tx))).kind).toBe("applied");
  });

  it("every deposit is on the hash-chained ledger", async () => {
    expect(await verifyLedger(store)).toMatchObject({ ok: true });
  });
});
