import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyLedger } from "../../src/store/ledger-verify.js";
import { closeDueUsage } from "../../src/store/usage-periods.js";
import { checkClient, type ExtAuthzClient } from "../support/extauthz-client.js";
import { deniedBody, envoyCheck, headersToRemove, httpStatus, okHeaders, okResponseHeaders } from "../support/check-request.js";
import { startStack, type Stack } from "../support/stack.js";

let stack: Stack;
let client: ExtAuthzClient;
const PRICE = "0.000250"; // 250 uneutaro per request on /api/metered/*
const PRICE_MICRO = 250n;

beforeAll(async () => {
  // A roomy pool: these tests prove atomicity under contention, not the 1 s acquire timeout (→ 503,
  // covered in outages.test.ts), which a loaded CI machine can hit with 500 requests in flight.
  stack = await startStack({
    env: {
      GATEWAY_ROUTES: `/api/metered/*=${PRICE}`,
      GATEWAY_DB_POOL_MAX: "20",
      GATEWAY_DB_ACQUIRE_TIMEOUT_MS: "30000",
      GATEWAY_PREPAID_SIGNUP_BURST: "100",
    },
  });
  client = checkClient(`127.0.0.1:${stack.gw.grpcPort}`);
});
afterAll(async () => {
  client?.close();
  await stack?.stop();
});

interface Account {
  clientId: string;
  clientKey: string;
  depositMemo: string;
  depositAddress: string;
}

async function api(path: string, init: RequestInit = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(`${stack.gw.httpUrl}${path}`, { ...init, headers: { "content-type": "application/json", ...init.headers } });
  return { status: res.status, body: await res.json() };
}
async function newAccount(): Promise<Account> {
  const { status, body } = await api("/prepaid/accounts", { method: "POST", body: "{}" });
  expect(status).toBe(201);
  return body;
}
async function deposit(a: Account, amountMicro: bigint): Promise<string> {
  const { txHash } = await stack.agent.send(a.depositAddress, amountMicro, a.depositMemo);
  const res = await api("/prepaid/deposit", { method: "POST", body: JSON.stringify({ clientId: a.clientId, txHash }) });
  expect(res.status).toBe(200);
  return txHash;
}
const metered = (a: Account, key = a.clientKey) =>
  envoyCheck({ path: "/api/metered/q", headers: { "x-client-id": a.clientId, "x-client-key": key } });

describe("prepaid accounts through gRPC Check", () => {
  it("a funded account is debited per request, the key never goes upstream, the balance comes back", async () => {
    const a = await newAccount();
    expect(a.clientKey).toMatch(/^k_[A-Za-z0-9_-]{40,}$/);
    await deposit(a, 1000n);
    const ok = await client.check(metered(a));
    expect(httpStatus(ok)).toBe(200);
    expect(headersToRemove(ok)).toEqual(expect.arrayContaining(["x-client-id", "x-client-key"]));
    expect(okHeaders(ok)).toMatchObject({
      "x-gate402-paid-by": "prepaid",
      "x-gate402-client-id": a.clientId,
      "x-gate402-amount-micro": "250",
    });
    expect(okResponseHeaders(ok)).toMatchObject({ "x-prepaid-balance": "0.000750", "x-prepaid-balance-micro": "750" });
  });

  it("Authorization: Bearer works as the key and is stripped too", async () => {
    const a = await newAccount();
    await deposit(a, 500n);
    const ok = await client.check(
      envoyCheck({ path: "/api/metered/q", headers: { "x-client-id": a.clientId, authorization: `Bearer ${a.clientKey}` } }),
    );
    expect(httpStatus(ok)).toBe(200);
    expect(headersToRemove(ok)).toContain("authorization");
  });

  it("a wrong key is 401 and debits nothing; an empty balance is 402 INSUFFICIENT_BALANCE with top-up instructions", async () => {
    const a = await newAccount();
    await deposit(a, 300n);
    const wrong = await client.check(metered(a, "k_" + "x".repeat(43)));
    expect(httpStatus(wrong)).toBe(401);
    expect(deniedBody(wrong).error).toBe("INVALID_CLIENT_CREDENTIALS");
    expect(httpStatus(await client.check(metered(a)))).toBe(200);
    const broke = await client.check(metered(a));
    expect(httpStatus(broke)).toBe(402);
    const body = deniedBody(broke);
    expect(body.error).toBe("INSUFFICIENT_BALANCE");
    expect(body.prepaid).toMatchObject({ balanceMicro: "50", depositMemo: a.depositMemo, depositAddress: stack.payTo });
    expect(body.payment.amountMicro).toBe("250");
  });

  it("500 concurrent debits against a balance of 100 prices: exactly 100 allowed, balance 0, ledger sums up", async () => {
    const a = await newAccount();
    await deposit(a, 100n * PRICE_MICRO);
    const results = await Promise.all(Array.from({ length: 500 }, () => client.check(metered(a))));
    const statuses = results.map(httpStatus);
    expect(statuses.filter((s) => s === 200)).toHaveLength(100);
    expect(statuses.filter((s) => s === 402)).toHaveLength(400);
    const acct = await stack.gw.store.getAccount(a.clientId);
    expect(acct?.balanceMicro).toBe(0n);
    // The 100 calls are in the usage detail of the account's open period; closed, they are one rollup entry.
    const calls = await stack.gw.store.pool.query(
      "SELECT sum(amount_micro)::text AS total, count(DISTINCT decision_id)::int AS n FROM usage_events WHERE client_id = $1",
      [a.clientId],
    );
    expect(calls.rows).toEqual([{ total: String(100n * PRICE_MICRO), n: 100 }]);
    expect((await verifyLedger(stack.gw.store)).ok).toBe(true);
    await closeDueUsage(stack.gw.store.pool, 0);
    const sums = await stack.gw.store.pool.query(
      `SELECT kind, sum(amount_micro)::text AS total, sum(coalesce(call_count, 1))::int AS n
         FROM ledger_entries WHERE client_id = $1 GROUP BY kind ORDER BY kind`,
      [a.clientId],
    );
    expect(sums.rows).toEqual([
      { kind: "deposit", total: String(100n * PRICE_MICRO), n: 1 },
      { kind: "usage", total: String(-100n * PRICE_MICRO), n: 100 },
    ]);
    expect((await verifyLedger(stack.gw.store)).ok).toBe(true);
  });

  it("a deposit posted 20 times concurrently is credited once", async () => {
    const a = await newAccount();
    const { txHash } = await stack.agent.send(a.depositAddress, 4000n, a.depositMemo);
    const posts = await Promise.all(
      Array.from({ length: 20 }, () => api("/prepaid/deposit", { method: "POST", body: JSON.stringify({ clientId: a.clientId, txHash }) })),
    );
    expect(posts.every((p) => p.status === 200)).toBe(true);
    expect(posts.filter((p) => p.body.credited === true)).toHaveLength(1);
    expect((await stack.gw.store.getAccount(a.clientId))?.balanceMicro).toBe(4000n);
  });

  it("a deposit carrying another account's memo is refused and credits nobody", async () => {
    const a = await newAccount();
    const b = await newAccount();
    const { txHash } = await stack.agent.send(b.depositAddress, 1000n, b.depositMemo);
    const res = await api("/prepaid/deposit", { method: "POST", body: JSON.stringify({ clientId: a.clientId, txHash }) });
    expect(res.status).toBe(422);
    expect(res.body.error).toBe("WRONG_RESOURCE");
    expect((await stack.gw.store.getAccount(a.clientId))?.balanceMicro).toBe(0n);
  });

  it("a tx that paid an invoice is refused as a deposit, and a deposit tx cannot pay an invoice", async () => {
    const a = await newAccount();
    const inv = deniedBody(await client.check(envoyCheck())).payment;
    const paid = await stack.agent.send(inv.address, BigInt(inv.amountMicro), inv.memo);
    expect(httpStatus(await client.check(envoyCheck({ headers: { "x-payment-proof": `${inv.invoiceId}:${paid.txHash}` } })))).toBe(200);
    const asDeposit = await api("/prepaid/deposit", {
      method: "POST",
      body: JSON.stringify({ clientId: a.clientId, txHash: paid.txHash }),
    });
    expect(asDeposit.status).toBe(422); // its memo is the invoice, not the account's deposit memo
    const dep = await deposit(a, 2000n);
    const inv2 = deniedBody(await client.check(envoyCheck())).payment;
    const asProof = deniedBody(await client.check(envoyCheck({ headers: { "x-payment-proof": `${inv2.invoiceId}:${dep}` } })));
    expect(asProof.error).toBe("PAYMENT_NOT_FOUND");
  });

  it("the balance endpoint needs the client's key", async () => {
    const a = await newAccount();
    await deposit(a, 1234n);
    expect((await api(`/prepaid/balance/${a.clientId}`)).status).toBe(401);
    expect((await api(`/prepaid/balance/${a.clientId}`, { headers: { "x-client-key": "k_" + "y".repeat(43) } })).status).toBe(401);
    const ok = await api(`/prepaid/balance/${a.clientId}`, { headers: { "x-client-key": a.clientKey } });
    expect(ok).toMatchObject({ status: 200, body: { balance: "0.001234", balanceMicro: "1234", depositMemo: a.depositMemo } });
  });

  it("a malformed deposit body is a 400 INVALID_REQUEST", async () => {
    const res = await api("/prepaid/deposit", { method: "POST", body: JSON.stringify({ clientId: "c_x", txHash: "not-a-hash" }) });
    expect(res).toMatchObject({ status: 400, body: { error: "INVALID_REQUEST" } });
    const junk = await api("/prepaid/deposit", { method: "POST", body: "{not json" });
    expect(junk).toMatchObject({ status: 400, body: { error: "INVALID_REQUEST" } });
  });
});
