import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { manageExtension } from "../../src/manage/extension.js";
import { checkClient, type ExtAuthzClient } from "../support/extauthz-client.js";
import { deniedBody, envoyCheck, httpStatus } from "../support/check-request.js";
import { startStack, type Stack } from "../support/stack.js";
import { api, BOOTSTRAP_TOKEN, bootstrapAdmin, newAccount, transact } from "./helpers.js";

let stack: Stack;
let client: ExtAuthzClient;
let admin: string;

beforeAll(async () => {
  // Only the management extension: the payment watcher would write the payments table these tests move aside.
  stack = await startStack({
    env: { GATEWAY_ADMIN_BOOTSTRAP_TOKEN: BOOTSTRAP_TOKEN, GATEWAY_ROUTES: "/api/metered/*=0.000250" },
    start: { extensions: [manageExtension()] },
  });
  client = checkClient(`127.0.0.1:${stack.gw.grpcPort}`);
  admin = await bootstrapAdmin(stack);
});
afterAll(async () => {
  client?.close();
  await stack?.stop();
});

const metered = (clientId: string, key: string) =>
  envoyCheck({ path: "/api/metered/q", headers: { "x-client-id": clientId, "x-client-key": key } });
// The payment watcher's migration (0003) may or may not be present: each test chooses its branch by
// moving the real table aside while it runs.
let hidden = false;
async function hideWatcherTable(): Promise<void> {
  const res = await stack.gw.store.pool.query("SELECT to_regclass('payments')::text AS t");
  if (res.rows[0].t) {
    await stack.gw.store.pool.query("ALTER TABLE payments RENAME TO payments_hidden_by_test");
    hidden = true;
  }
}
async function restoreWatcherTable(): Promise<void> {
  if (hidden) await stack.gw.store.pool.query("ALTER TABLE payments_hidden_by_test RENAME TO payments");
  hidden = false;
}
const credit = (clientId: string, amountMicro: string) => transact(stack, admin, { kind: "credit", clientId, amountMicro, reason: "test" });

describe("accounts", () => {
  it("create, show with balance and recent ledger; /manage/wallet is an alias", async () => {
    const a = await newAccount(stack, admin);
    expect(a.clientKey).toMatch(/^k_/);
    await credit(a.clientId, "5000");
    const shown = await api(stack, `/manage/accounts/${a.clientId}`, { token: admin });
    expect(shown.body).toMatchObject({
      clientId: a.clientId,
      status: "active",
      balance: "0.005000",
      balanceMicro: "5000",
      ledgerEntries: "1",
    });
    expect(shown.body.recentLedger).toMatchObject([{ kind: "credit", amountMicro: "5000", seq: "1" }]);
    expect(shown.body).not.toHaveProperty("clientKey");
    const alias = await api(stack, `/manage/wallet/${a.clientId}`, { token: admin });
    expect(alias.body).toEqual(shown.body);
    const viaWallet = await api(stack, "/manage/wallet", { method: "POST", token: admin });
    expect(viaWallet.status).toBe(201);
    expect((await api(stack, "/manage/accounts/c_missing", { token: admin })).status).toBe(404);
  });

  it("shows the open usage period: calls already in the balance, in the ledger once a credit closes it", async () => {
    const a = await newAccount(stack, admin);
    await credit(a.clientId, "5000");
    expect((await api(stack, `/manage/accounts/${a.clientId}`, { token: admin })).body.openUsage).toBeNull();
    for (let i = 0; i < 3; i++) expect(httpStatus(await client.check(metered(a.clientId, a.clientKey)))).toBe(200);
    const shown = (await api(stack, `/manage/accounts/${a.clientId}`, { token: admin })).body;
    expect(shown).toMatchObject({
      balanceMicro: "4250",
      ledgerEntries: "1",
      openUsage: { calls: 3, totalMicro: "750", total: "0.000750" },
    });
    await credit(a.clientId, "1");
    const after = (await api(stack, `/manage/accounts/${a.clientId}`, { token: admin })).body;
    expect(after).toMatchObject({ balanceMicro: "4251", ledgerEntries: "3", openUsage: null });
    expect(after.recentLedger.map((e: { kind: string }) => e.kind)).toEqual(["credit", "usage", "credit"]);
  });

  it("lists with keyset paging and filters by status and minimum balance", async () => {
    const made = await Promise.all(Array.from({ length: 5 }, () => newAccount(stack, admin)));
    await credit(made[0]!.clientId, "2000000");
    await api(stack, `/manage/accounts/${made[1]!.clientId}/suspend`, { method: "POST", token: admin });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: any = await api(stack, `/manage/accounts?limit=2${cursor ? `&cursor=${cursor}` : ""}`, { token: admin });
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.items.map((i: any) => i.clientId));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...seen].sort());
    expect(new Set(seen).size).toBe(seen.length);
    for (const m of made) expect(seen).toContain(m.clientId);
    const rich = await api(stack, "/manage/accounts?minBalance=1.5", { token: admin });
    expect(rich.body.items.map((i: any) => i.clientId)).toEqual([made[0]!.clientId]);
    const richMicro = await api(stack, "/manage/accounts?minBalanceMicro=1500000", { token: admin });
    expect(richMicro.body.items).toEqual(rich.body.items);
    const suspended = await api(stack, "/manage/accounts?status=suspended", { token: admin });
    expect(suspended.body.items.map((i: any) => i.clientId)).toEqual([made[1]!.clientId]);
    expect((await api(stack, "/manage/accounts?minBalance=abc", { token: admin })).status).toBe(400);
  });

  it("a suspended account gets 403 ACCOUNT_SUSPENDED at Check and is not debited; resumed, it pays again", async () => {
    const a = await newAccount(stack, admin);
    await credit(a.clientId, "1000");
    expect(httpStatus(await client.check(metered(a.clientId, a.clientKey)))).toBe(200);
    expect((await api(stack, `/manage/accounts/${a.clientId}/suspend`, { method: "POST", token: admin })).body.status).toBe("suspended");
    const denied = await client.check(metered(a.clientId, a.clientKey));
    expect(httpStatus(denied)).toBe(403);
    expect(deniedBody(denied).error).toBe("ACCOUNT_SUSPENDED");
    expect((await api(stack, `/manage/accounts/${a.clientId}`, { token: admin })).body.balanceMicro).toBe("750");
    expect((await api(stack, `/manage/accounts/${a.clientId}/resume`, { method: "POST", token: admin })).body.status).toBe("active");
    expect(httpStatus(await client.check(metered(a.clientId, a.clientKey)))).toBe(200);
  });

  it("rotate-key shows a new key once; the old key is refused at Check from then on", async () => {
    const a = await newAccount(stack, admin);
    await credit(a.clientId, "1000");
    const rotated = await api(stack, `/manage/accounts/${a.clientId}/rotate-key`, { method: "POST", token: admin });
    expect(rotated.body.clientKey).toMatch(/^k_/);
    expect(rotated.body.clientKey).not.toBe(a.clientKey);
    const old = await client.check(metered(a.clientId, a.clientKey));
    expect(httpStatus(old)).toBe(401);
    expect(httpStatus(await client.check(metered(a.clientId, rotated.body.clientKey)))).toBe(200);
  });
});

describe("payments and revenue", () => {
  it("without a payments table, payments list invoice redemptions and deposits; revenue adds prepaid debits and invoice prices", async () => {
    await hideWatcherTable();
    const a = await newAccount(stack, admin);
    const { txHash: depositTx } = await stack.agent.send(a.depositAddress, 3000n, a.depositMemo);
    expect((await api(stack, "/prepaid/deposit", { method: "POST", body: { clientId: a.clientId, txHash: depositTx } })).status).toBe(200);
    for (let i = 0; i < 2; i++) expect(httpStatus(await client.check(metered(a.clientId, a.clientKey)))).toBe(200);
    const inv = deniedBody(await client.check(envoyCheck({ path: "/api/other" }))).payment;
    const paid = await stack.agent.send(inv.address, BigInt(inv.amountMicro), inv.memo);
    expect(
      httpStatus(await client.check(envoyCheck({ path: "/api/other", headers: { "x-payment-proof": `${inv.invoiceId}:${paid.txHash}` } }))),
    ).toBe(200);

    const payments = await api(stack, "/manage/payments?limit=10", { token: admin });
    expect(payments.body.source).toBe("redemptions+deposits");
    expect(payments.body.items.slice(0, 2)).toMatchObject([
      { kind: "invoice", txHash: paid.txHash.toUpperCase(), invoiceId: inv.invoiceId, priceMicro: inv.amountMicro },
      { kind: "deposit", txHash: depositTx.toUpperCase(), clientId: a.clientId, amountMicro: "3000", amount: "0.003000" },
    ]);
    const first = await api(stack, "/manage/payments?limit=1", { token: admin });
    const second = await api(stack, `/manage/payments?limit=1&cursor=${first.body.nextCursor}`, { token: admin });
    expect(second.body.items[0].txHash).toBe(depositTx.toUpperCase());

    const byRoute = await api(stack, "/manage/revenue?groupBy=route", { token: admin });
    const prepaidRoute = byRoute.body.groups.find((g: any) => g.route === "/api/metered/*");
    expect(prepaidRoute).toMatchObject({ prepaidMicro: expect.any(String), invoicesMicro: "0" });
    const other = byRoute.body.groups.find((g: any) => g.route === "*" || g.invoicePayments === 1);
    expect(other).toMatchObject({ invoicesMicro: inv.amountMicro, invoicePayments: 1 });
    const total = byRoute.body.groups.reduce((s: bigint, g: any) => s + BigInt(g.totalMicro), 0n);
    expect(byRoute.body.totalMicro).toBe(total.toString());
    const byDay = await api(stack, "/manage/revenue?groupBy=day", { token: admin });
    expect(byDay.body.totalMicro).toBe(byRoute.body.totalMicro);
    expect(byDay.body.groups.every((g: any) => /^\d{4}-\d{2}-\d{2}$/.test(g.day))).toBe(true);
    const empty = await api(stack, "/manage/revenue?from=2000-01-01&to=2000-01-02", { token: admin });
    expect(empty.body).toMatchObject({ totalMicro: "0", groups: [] });
    await restoreWatcherTable();
  });

  it("when the watcher's payments table exists, its rows are listed as text values", async () => {
    const pool = stack.gw.store.pool;
    await hideWatcherTable();
    await pool.query("CREATE TABLE payments (tx_hash text PRIMARY KEY, amount_micro bigint, created_at timestamptz DEFAULT now())");
    try {
      await pool.query("INSERT INTO payments (tx_hash, amount_micro) VALUES ('AA', 9007199254740993), ('BB', 5)");
      const res = await api(stack, "/manage/payments?limit=1", { token: admin });
      expect(res.body.source).toBe("payments");
      expect(res.body.items).toHaveLength(1);
      const next = await api(stack, `/manage/payments?limit=1&cursor=${res.body.nextCursor}`, { token: admin });
      const all = [...res.body.items, ...next.body.items];
      expect(all.map((r: any) => r.amount_micro).sort()).toEqual(["5", "9007199254740993"]);
    } finally {
      await pool.query("DROP TABLE payments");
      await restoreWatcherTable();
    }
  });
});
