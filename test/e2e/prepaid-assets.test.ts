/**
 * Prepaid balances per asset (issue 13: "prepaid balances per denom never mix"): the primary devnet with
 * uneutaro, an IBC voucher configured as a second asset and a third denom nobody configured; real @cosmjs
 * signed deposits, real Postgres, gRPC Check, usage rollups per period on. A debit takes the first asset
 * the route is priced in (primary first) whose balance covers that asset's price.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectPayer, type DemoPayer } from "../../src/demo/payer.js";
import { verifyLedger } from "../../src/store/ledger-verify.js";
import { refundCharge } from "../../src/store/refunds.js";
import { closeDueUsage } from "../../src/store/usage-periods.js";
import { metadataOf } from "../support/access-log.js";
import { deniedBody, envoyCheck, httpStatus, okHeaders, okResponseHeaders } from "../support/check-request.js";
import { checkClient, type ExtAuthzClient } from "../support/extauthz-client.js";
import { startStack, type Stack } from "../support/stack.js";
import { waitUntil } from "../watcher/helpers.js";

const IBC = "ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2";
const FOREIGN = "ufoo";
const ROUTES = `routes:
  - { pattern: "/api/native", price: "0.001" }
  - { pattern: "/api/ibc", prices: { "${IBC}": "0.002" } }
  - { pattern: "/api/both", price: "0.001", prices: { "${IBC}": "0.003" } }
`;

let stack: Stack;
let client: ExtAuthzClient;
let ibcPayer: DemoPayer;
let foreignPayer: DemoPayer;
let network: string;

interface Account {
  clientId: string;
  clientKey: string;
  depositMemo: string;
  depositAddress: string;
}

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), "gate402-prepaid-assets-"));
  writeFileSync(join(dir, "routes.yaml"), ROUTES);
  stack = await startStack({
    devnet: { extraDenoms: [IBC, FOREIGN] },
    env: {
      GATEWAY_ROUTES_FILE: join(dir, "routes.yaml"),
      GATEWAY_WATCHER_POLL_MS: "50",
      GATEWAY_WATCHER_LEASE_POLL_MS: "200",
      GATEWAY_DB_POOL_MAX: "20",
      GATEWAY_DB_ACQUIRE_TIMEOUT_MS: "30000",
      GATEWAY_PREPAID_SIGNUP_BURST: "100",
      GATEWAY_LEDGER_ROLLUP_MS: "60000",
      GATEWAY_ASSETS: "",
    },
    envFrom: (devnet) => ({
      GATEWAY_ASSETS: JSON.stringify([{ network: `cosmos:${devnet.chainId}`, denom: IBC, name: "ATOM", decimals: 6 }]),
    }),
  });
  network = stack.gw.config.network;
  client = checkClient(`127.0.0.1:${stack.gw.grpcPort}`);
  ibcPayer = await connectPayer(stack.devnet.rpcUrl, stack.devnet.wallets[2]!.mnemonic, IBC, `0.025${stack.devnet.denom}`);
  foreignPayer = await connectPayer(stack.devnet.rpcUrl, stack.devnet.wallets[3]!.mnemonic, FOREIGN, `0.025${stack.devnet.denom}`);
});
afterAll(async () => {
  ibcPayer?.disconnect();
  foreignPayer?.disconnect();
  client?.close();
  await stack?.stop();
});

async function api(path: string, init: RequestInit = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(`${stack.gw.httpUrl}${path}`, { ...init, headers: { "content-type": "application/json", ...init.headers } });
  return { status: res.status, body: await res.json() };
}
async function newAccount(): Promise<Account> {
  const { status, body } = await api("/prepaid/accounts", { method: "POST", body: "{}" });
  expect(status).toBe(201);
  return body;
}
const postDeposit = (a: Account, txHash: string) =>
  api("/prepaid/deposit", { method: "POST", body: JSON.stringify({ clientId: a.clientId, txHash }) });
async function deposit(a: Account, payer: DemoPayer, amountMicro: bigint): Promise<any> {
  const { txHash } = await payer.send(a.depositAddress, amountMicro, a.depositMemo);
  const res = await postDeposit(a, txHash);
  expect(res.status).toBe(200);
  return res.body;
}
const call = (a: Account, path: string) =>
  client.check(envoyCheck({ path, headers: { "x-client-id": a.clientId, "x-client-key": a.clientKey } }));
async function balances(a: Account): Promise<{ native: bigint; ibc: bigint }> {
  const acc = (await stack.gw.store.getAccount(a.clientId))!;
  const ibc = acc.balances?.find((b) => b.network === network && b.denom === IBC)?.balanceMicro ?? 0n;
  return { native: acc.balanceMicro, ibc };
}

describe("prepaid balances per asset", () => {
  it("a deposit in the IBC denom credits that balance only: it pays a route priced in it, never one priced in uneutaro", async () => {
    const a = await newAccount();
    const credited = await deposit(a, ibcPayer, 5000n);
    // balance/balanceMicro keep meaning the primary asset; the IBC balance is listed beside it.
    expect(credited).toMatchObject({ credited: true, amountMicro: "5000", network, denom: IBC, balanceMicro: "0" });
    expect(credited.balances).toEqual([{ network, denom: IBC, amountMicro: "5000" }]);

    const refused = await call(a, "/api/native");
    expect(httpStatus(refused)).toBe(402);
    const body = deniedBody(refused);
    expect(body.error).toBe("INSUFFICIENT_BALANCE");
    expect(body.prepaid).toMatchObject({ balanceMicro: "0", depositMemo: a.depositMemo });
    expect(body.prepaid.balances).toEqual([
      { network, denom: "uneutaro", amountMicro: "0", priceMicro: "1000", depositAddress: stack.payTo },
    ]);
    expect(await balances(a)).toEqual({ native: 0n, ibc: 5000n });

    const ok = await call(a, "/api/ibc");
    expect(httpStatus(ok)).toBe(200);
    expect(okHeaders(ok)["x-gate402-amount-micro"]).toBe("2000");
    expect(okResponseHeaders(ok)).toMatchObject({
      "x-prepaid-balance-micro": "0",
      "x-prepaid-paid-asset": `${network} ${IBC}`,
      "x-prepaid-paid-balance-micro": "3000",
    });
    // Priced in both, no uneutaro: the IBC price is taken.
    expect(httpStatus(await call(a, "/api/both"))).toBe(200);
    expect(await balances(a)).toEqual({ native: 0n, ibc: 0n });
    const none = deniedBody(await call(a, "/api/both"));
    expect(none.error).toBe("INSUFFICIENT_BALANCE");
    type Line = { denom: string; amountMicro: string; priceMicro: string };
    expect(none.prepaid.balances.map((b: Line) => [b.denom, b.amountMicro, b.priceMicro])).toEqual([
      ["uneutaro", "0", "1000"],
      [IBC, "0", "3000"],
    ]);

    const balance = await api(`/prepaid/balance/${a.clientId}`, { headers: { "x-client-key": a.clientKey } });
    expect(balance.body).toMatchObject({ balanceMicro: "0", balances: [{ network, denom: IBC, amountMicro: "0" }] });
  });

  it("a route priced in both debits the first covering asset: uneutaro while it covers, then the IBC denom", async () => {
    const a = await newAccount();
    await deposit(a, ibcPayer, 4000n);
    await deposit(a, stack.agent, 1500n);
    const first = await call(a, "/api/both");
    expect(httpStatus(first)).toBe(200);
    expect(okResponseHeaders(first)["x-prepaid-paid-asset"]).toBeUndefined();
    expect(okResponseHeaders(first)["x-prepaid-balance-micro"]).toBe("500");
    expect(await balances(a)).toEqual({ native: 500n, ibc: 4000n });
    const second = await call(a, "/api/both");
    expect(okResponseHeaders(second)).toMatchObject({ "x-prepaid-balance-micro": "500", "x-prepaid-paid-balance-micro": "1000" });
    expect(await balances(a)).toEqual({ native: 500n, ibc: 1000n });
    // uneutaro 500 and IBC 1000 cover neither price.
    expect(deniedBody(await call(a, "/api/both")).error).toBe("INSUFFICIENT_BALANCE");
    expect(await verifyLedger(stack.gw.store)).toMatchObject({ ok: true });
  });

  it("200 concurrent debits across both assets: each balance exact, never negative, allowed = what the balances cover", async () => {
    const a = await newAccount();
    await deposit(a, stack.agent, 20_500n);
    await deposit(a, ibcPayer, 91_000n);
    const paths = Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? "/api/both" : "/api/ibc"));
    const results = await Promise.all(paths.map(async (path) => ({ path, res: await call(a, path) })));
    const allowed = results.filter((r) => httpStatus(r.res) === 200);
    const refused = results.filter((r) => httpStatus(r.res) !== 200);
    for (const r of refused) expect(deniedBody(r.res).error).toBe("INSUFFICIENT_BALANCE");
    const nativeCalls = allowed.filter((r) => okResponseHeaders(r.res)["x-prepaid-paid-asset"] === undefined);
    const ibcBoth = allowed.filter((r) => r.path === "/api/both" && okResponseHeaders(r.res)["x-prepaid-paid-asset"] !== undefined);
    const ibcOnly = allowed.filter((r) => r.path === "/api/ibc");
    // /api/ibc never takes uneutaro.
    for (const r of ibcOnly) expect(okResponseHeaders(r.res)["x-prepaid-paid-asset"]).toBe(`${network} ${IBC}`);
    // Every /api/both call prefers uneutaro: 100 of them exhaust its 20 prices of 1000, leaving 500.
    expect(nativeCalls).toHaveLength(20);
    const { native, ibc } = await balances(a);
    expect(native).toBe(500n);
    expect(ibc).toBeGreaterThanOrEqual(0n);
    expect(BigInt(ibcBoth.length) * 3000n + BigInt(ibcOnly.length) * 2000n).toBe(91_000n - ibc);
    // Demand far exceeds the IBC balance: what is left covers no IBC price (a refusal saw less, and it only fell).
    expect(ibc).toBeLessThan(2000n);
    expect(allowed.length).toBe(20 + ibcBoth.length + ibcOnly.length);
    // The ledger holds exactly the allowed calls per asset, and verifies.
    await closeDueUsage(stack.gw.store.pool, 0);
    const sums = await stack.gw.store.pool.query<{ denom: string | null; calls: string; total: string }>(
      `SELECT denom, sum(call_count)::text AS calls, (-sum(amount_micro))::text AS total FROM ledger_entries
        WHERE client_id = $1 AND kind = 'usage' GROUP BY denom ORDER BY denom NULLS FIRST`,
      [a.clientId],
    );
    expect(sums.rows).toEqual([
      { denom: null, calls: "20", total: "20000" },
      { denom: IBC, calls: String(ibcBoth.length + ibcOnly.length), total: String(91_000n - ibc) },
    ]);
    expect(await verifyLedger(stack.gw.store)).toMatchObject({ ok: true });
  }, 120_000);

  it("a refund of a debit in the IBC denom gives back to the IBC balance", async () => {
    const a = await newAccount();
    await deposit(a, ibcPayer, 2500n);
    await deposit(a, stack.agent, 100n);
    const ok = await call(a, "/api/ibc");
    expect(httpStatus(ok)).toBe(200);
    const decisionId = metadataOf(ok).decision_id!;
    expect(await balances(a)).toEqual({ native: 100n, ibc: 500n });
    const out = await refundCharge(stack.gw.store.pool, { decisionId, status: 503, reason: "upstream_5xx", windowMs: 600_000 });
    expect(out).toMatchObject({ kind: "refunded", amountMicro: 2000n, network, denom: IBC, clientId: a.clientId });
    expect(await balances(a)).toEqual({ native: 100n, ibc: 2500n });
    expect(await refundCharge(stack.gw.store.pool, { decisionId, status: 503, reason: "upstream_5xx", windowMs: 600_000 })).toEqual({
      kind: "duplicate",
    });
    const row = await stack.gw.store.pool.query("SELECT denom, amount_micro::text AS amount FROM refunds WHERE decision_id = $1", [
      decisionId,
    ]);
    expect(row.rows).toEqual([{ denom: IBC, amount: "2000" }]);
    expect(await verifyLedger(stack.gw.store)).toMatchObject({ ok: true });
  });

  it("the watcher credits a deposit in the IBC denom to that balance; a deposit in an unconfigured denom credits nothing", async () => {
    const a = await newAccount();
    await ibcPayer.send(a.depositAddress, 1234n, a.depositMemo);
    await waitUntil(async () => (await balances(a)).ibc === 1234n, 15_000, "IBC deposit credited by the watcher");
    expect((await balances(a)).native).toBe(0n);

    const foreign = await foreignPayer.send(a.depositAddress, 7777n, a.depositMemo);
    const refused = await postDeposit(a, foreign.txHash);
    expect(refused.status).toBe(422);
    expect(refused.body.error).toBe("PAYMENT_NOT_FOUND");
    const row = async () => (await stack.gw.store.pool.query("SELECT status FROM payments WHERE tx_hash = $1", [foreign.txHash])).rows[0];
    await waitUntil(async () => (await row()) !== undefined, 15_000, "foreign-denom deposit indexed");
    expect(await row()).toEqual({ status: "unmatched" });
    expect(await balances(a)).toEqual({ native: 0n, ibc: 1234n });
    const other = await stack.gw.store.pool.query("SELECT count(*)::int AS n FROM prepaid_balances WHERE client_id = $1 AND denom = $2", [
      a.clientId,
      FOREIGN,
    ]);
    expect(other.rows[0].n).toBe(0);
  });
});
