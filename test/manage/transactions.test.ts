import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runVerifyLedger } from "../../src/manage/verify-cli.js";
import { startStack, type Stack } from "../support/stack.js";
import { api, BOOTSTRAP_TOKEN, bootstrapAdmin, idemKey, newAccount, transact } from "./helpers.js";

let stack: Stack;
let admin: string;

beforeAll(async () => {
  stack = await startStack({ env: { GATEWAY_ADMIN_BOOTSTRAP_TOKEN: BOOTSTRAP_TOKEN } });
  admin = await bootstrapAdmin(stack);
});
afterAll(async () => {
  await stack?.stop();
});

const balance = async (clientId: string) => BigInt((await api(stack, `/manage/accounts/${clientId}`, { token: admin })).body.balanceMicro);

function sink(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  return { stream: new Writable({ write: (c, _e, cb) => void (chunks.push(String(c)), cb()) }), text: () => chunks.join("") };
}

describe("POST /manage/transactions idempotency", () => {
  it("the same key and body replays the first answer and moves money once", async () => {
    const a = await newAccount(stack, admin);
    const key = idemKey();
    const first = await transact(stack, admin, { kind: "credit", clientId: a.clientId, amount: "1.5", reason: "welcome credit" }, key);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      kind: "credit",
      amount: "1.500000",
      amountMicro: "1500000",
      outcome: "applied",
      operator: "root-admin",
    });
    expect(first.headers.get("idempotent-replayed")).toBe("false");
    const again = await transact(stack, admin, { kind: "credit", clientId: a.clientId, amount: "1.5", reason: "welcome credit" }, key);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    // amountMicro is the same request as amount: same canonical hash
    const micro = await transact(
      stack,
      admin,
      { kind: "credit", clientId: a.clientId, amountMicro: "1500000", reason: "welcome credit" },
      key,
    );
    expect(micro.body).toEqual(first.body);
    expect(await balance(a.clientId)).toBe(1_500_000n);
    const stored = await api(stack, `/manage/transactions/${first.body.id}`, { token: admin });
    expect(stored.body).toMatchObject({ id: first.body.id, outcome: "applied", idempotencyKey: key, entries: first.body.entries });
  });

  it("the same key with another body is 409 IDEMPOTENCY_CONFLICT and moves nothing", async () => {
    const a = await newAccount(stack, admin);
    const key = idemKey();
    expect((await transact(stack, admin, { kind: "credit", clientId: a.clientId, amount: "1", reason: "r" }, key)).status).toBe(201);
    for (const other of [
      { amount: "2", reason: "r" },
      { amount: "1", reason: "another reason" },
    ]) {
      const res = await transact(stack, admin, { kind: "credit", clientId: a.clientId, ...other }, key);
      expect(res).toMatchObject({ status: 409, body: { error: "IDEMPOTENCY_CONFLICT" } });
    }
    expect(await balance(a.clientId)).toBe(1_000_000n);
  });

  it("20 concurrent posts with one key apply once and all get the same answer", async () => {
    const a = await newAccount(stack, admin);
    const key = idemKey();
    const all = await Promise.all(
      Array.from({ length: 20 }, () =>
        transact(stack, admin, { kind: "credit", clientId: a.clientId, amountMicro: "777", reason: "race" }, key),
      ),
    );
    const distinct = [...new Set(all.map((r) => JSON.stringify([r.status, r.body])))];
    expect(distinct, distinct.join("\n")).toHaveLength(1);
    expect(all.filter((r) => r.headers.get("idempotent-replayed") === "false")).toHaveLength(1);
    expect(await balance(a.clientId)).toBe(777n);
  });

  it("a missing Idempotency-Key or a malformed body is a 400", async () => {
    const a = await newAccount(stack, admin);
    const noKey = await api(stack, "/manage/transactions", {
      method: "POST",
      token: admin,
      body: { kind: "credit", clientId: a.clientId, amount: "1", reason: "r" },
    });
    expect(noKey).toMatchObject({ status: 400, body: { error: "IDEMPOTENCY_KEY_REQUIRED" } });
    for (const body of [
      { kind: "credit", clientId: a.clientId, amount: "1.0000001", reason: "r" },
      { kind: "credit", clientId: a.clientId, amount: "-1", reason: "r" },
      { kind: "credit", clientId: a.clientId, amount: "1", amountMicro: "1", reason: "r" },
      { kind: "transfer", clientId: a.clientId, amount: "1", reason: "r" },
      { kind: "transfer", from: a.clientId, to: a.clientId, amount: "1", reason: "r" },
      { kind: "credit", clientId: a.clientId, amount: "0", reason: "r" },
      { kind: "mint", clientId: a.clientId, amount: "1", reason: "r" },
    ]) {
      expect((await transact(stack, admin, body)).status, JSON.stringify(body)).toBe(400);
    }
  });
});

describe("money movements", () => {
  it("an adjustment may be negative but never below zero; the refusal is replayed too", async () => {
    const a = await newAccount(stack, admin);
    await transact(stack, admin, { kind: "credit", clientId: a.clientId, amountMicro: "1000", reason: "seed" });
    expect(
      (await transact(stack, admin, { kind: "adjustment", clientId: a.clientId, amount: "-0.000400", reason: "correction" })).status,
    ).toBe(201);
    const key = idemKey();
    const over = await transact(stack, admin, { kind: "adjustment", clientId: a.clientId, amountMicro: "-601", reason: "too much" }, key);
    expect(over).toMatchObject({ status: 422, body: { error: "INSUFFICIENT_BALANCE", outcome: "refused" } });
    expect(
      (await transact(stack, admin, { kind: "adjustment", clientId: a.clientId, amountMicro: "-601", reason: "too much" }, key)).body,
    ).toEqual(over.body);
    expect(await balance(a.clientId)).toBe(600n);
    expect(
      (await transact(stack, admin, { kind: "refund", clientId: a.clientId, amountMicro: "50", reason: "bad answer on /api/x" })).status,
    ).toBe(201);
    expect(await balance(a.clientId)).toBe(650n);
  });

  it("a transfer debits from and credits to in one transaction; an unknown account moves nothing", async () => {
    const a = await newAccount(stack, admin);
    const b = await newAccount(stack, admin);
    await transact(stack, admin, { kind: "credit", clientId: a.clientId, amountMicro: "5000", reason: "seed" });
    const t = await transact(stack, admin, { kind: "transfer", from: a.clientId, to: b.clientId, amount: "0.003", reason: "move" });
    expect(t.status).toBe(201);
    expect(t.body.entries.map((e: any) => [e.clientId, e.kind, e.amountMicro, e.balanceAfterMicro])).toEqual([
      [a.clientId, "transfer_out", "-3000", "2000"],
      [b.clientId, "transfer_in", "3000", "3000"],
    ]);
    const ghost = await transact(stack, admin, {
      kind: "transfer",
      from: a.clientId,
      to: "c_does_not_exist",
      amountMicro: "1",
      reason: "x",
    });
    expect(ghost).toMatchObject({ status: 404, body: { error: "ACCOUNT_NOT_FOUND" } });
    const broke = await transact(stack, admin, { kind: "transfer", from: a.clientId, to: b.clientId, amountMicro: "2001", reason: "x" });
    expect(broke.status).toBe(422);
    expect([await balance(a.clientId), await balance(b.clientId)]).toEqual([2000n, 3000n]);
  });

  it("1,000 concurrent transfers between 10 accounts: no negative balance, the sum is unchanged, the ledger verifies", async () => {
    const accounts = await Promise.all(Array.from({ length: 10 }, () => newAccount(stack, admin)));
    for (const a of accounts) await transact(stack, admin, { kind: "credit", clientId: a.clientId, amountMicro: "10000", reason: "seed" });
    let seed = 42;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const transfers = Array.from({ length: 1000 }, () => {
      const from = rnd(10);
      const to = (from + 1 + rnd(9)) % 10;
      return {
        kind: "transfer",
        from: accounts[from]!.clientId,
        to: accounts[to]!.clientId,
        amountMicro: String(1 + rnd(300)),
        reason: "load",
      };
    });
    const results = await Promise.all(transfers.map((t) => transact(stack, admin, t)));
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s !== 201 && s !== 422)).toEqual([]);
    const applied = statuses.filter((s) => s === 201).length;
    expect(applied).toBeGreaterThan(500);
    const ids = accounts.map((a) => a.clientId);
    const rows = await stack.gw.store.pool.query<{ balance_micro: string }>(
      "SELECT balance_micro::text FROM prepaid_accounts WHERE client_id = ANY($1)",
      [ids],
    );
    const balances = rows.rows.map((r) => BigInt(r.balance_micro));
    expect(balances.every((b) => b >= 0n)).toBe(true);
    expect(balances.reduce((s, b) => s + b, 0n)).toBe(100_000n);
    const outs = await stack.gw.store.pool.query(
      "SELECT count(*)::int AS n FROM ledger_entries WHERE kind = 'transfer_out' AND client_id = ANY($1)",
      [ids],
    );
    expect(outs.rows[0].n).toBe(applied);
    expect((await api(stack, "/manage/ledger/verify", { token: admin })).body).toMatchObject({ ok: true });
  });
});

describe("ledger", () => {
  it("GET /manage/ledger pages newest first and filters by client", async () => {
    const a = await newAccount(stack, admin);
    for (const n of ["1", "2", "3"]) await transact(stack, admin, { kind: "credit", clientId: a.clientId, amountMicro: n, reason: "page" });
    const p1 = await api(stack, `/manage/ledger?clientId=${a.clientId}&limit=2`, { token: admin });
    expect(p1.body.items.map((e: any) => e.amountMicro)).toEqual(["3", "2"]);
    const p2 = await api(stack, `/manage/ledger?clientId=${a.clientId}&limit=2&cursor=${p1.body.nextCursor}`, { token: admin });
    expect(p2.body).toMatchObject({ items: [{ amountMicro: "1", seq: "1", balanceAfterMicro: "1" }], nextCursor: null });
    expect((await api(stack, "/manage/ledger?cursor=garbage", { token: admin })).status).toBe(400);
  });

  it("verify-ledger exits 0 on an intact ledger; a row edited by SQL is found by the API and the CLI (exit 1)", async () => {
    const ok = sink();
    expect(await runVerifyLedger(stack.gw.databaseUrl, ok.stream)).toBe(0);
    expect(JSON.parse(ok.text())).toMatchObject({ ok: true });
    const a = await newAccount(stack, admin);
    for (const n of ["100", "200", "300"])
      await transact(stack, admin, { kind: "credit", clientId: a.clientId, amountMicro: n, reason: "t" });
    const pool = stack.gw.store.pool;
    await pool.query("ALTER TABLE ledger_entries DISABLE TRIGGER ledger_entries_append_only");
    await pool.query("UPDATE ledger_entries SET amount_micro = 250, balance_after_micro = 350 WHERE client_id = $1 AND seq = 2", [
      a.clientId,
    ]);
    await pool.query("ALTER TABLE ledger_entries ENABLE TRIGGER ledger_entries_append_only");
    const res = await api(stack, "/manage/ledger/verify", { token: admin });
    expect(res.body).toEqual({ ok: false, firstBroken: { clientId: a.clientId, seq: "2", problem: "hash_mismatch" } });
    const out = sink();
    expect(await runVerifyLedger(stack.gw.databaseUrl, out.stream)).toBe(1);
    expect(JSON.parse(out.text()).firstBroken).toMatchObject({ clientId: a.clientId, seq: "2" });
  });

  it("verify-ledger exits 2 when the database cannot be reached", async () => {
    const out = sink();
    expect(await runVerifyLedger("postgres://nobody@127.0.0.1:1/none", out.stream)).toBe(2);
    expect(JSON.parse(out.text())).toMatchObject({ ok: false, error: "STORE_UNAVAILABLE" });
  });
});
