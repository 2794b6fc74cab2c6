/**
 * End to end through a real proxy: client → Caddy 2.6.2 (`forward_auth` → gate402 /auth/forward) →
 * a recording upstream. Payments are real signed txs on the devnet. Needs the `caddy` binary: the
 * suite fails (does not skip) without it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cosmjsPayer, createPaidFetch, memoryStore } from "../../src/client/index.js";
import { requireCaddy, startCaddy, type CaddyProxy } from "../support/caddy.js";
import { rawRequest } from "../support/http-request.js";
import { startStack, type Stack } from "../support/stack.js";
import { recordingUpstream, type RecordingUpstream, type SeenRequest } from "../support/upstream.js";

let stack: Stack;
let upstream: RecordingUpstream;
let caddy: CaddyProxy;
let stackStopped = false;

beforeAll(async () => {
  requireCaddy();
  stack = await startStack({ env: { GATEWAY_ROUTES: "/free/*=0" } });
  upstream = await recordingUpstream();
  caddy = await startCaddy({ gatePort: stack.gw.httpPort, upstreamPort: upstream.port });
});
afterAll(async () => {
  await caddy?.stop();
  await upstream?.close();
  if (!stackStopped) await stack?.stop();
});

const get = (path: string, headers: Record<string, string> = {}) => fetch(`${caddy.url}${path}`, { headers });
const decode = (b64: string | null) => JSON.parse(Buffer.from(b64 ?? "", "base64").toString("utf8"));

/** Asks through Caddy without paying; returns the invoice of the 402. */
async function invoiceFor(path = "/api/data") {
  const res = await get(path);
  expect(res.status).toBe(402);
  return (await res.json()).payment as { invoiceId: string; amountMicro: string; address: string; memo: string };
}

/** The upstream request a call caused, asserting it caused exactly one. */
async function upstreamSaw(call: () => Promise<Response>): Promise<{ res: Response; seen: SeenRequest }> {
  const before = upstream.seen.length;
  const res = await call();
  expect(res.status).toBe(200);
  expect(upstream.seen.length).toBe(before + 1);
  return { res, seen: upstream.seen.at(-1)! };
}

/** No header the upstream saw is a Caddy placeholder left unreplaced (Caddy 2.6.2 copy_headers bug). */
function expectNoPlaceholders(seen: SeenRequest): void {
  for (const [name, value] of Object.entries(seen.headers)) expect(`${name}: ${String(value)}`).not.toContain("{http.");
}

describe("pay per request through Caddy forward_auth", () => {
  it("an unpaid request gets the docs/design.md 402 (status, content-type, PAYMENT-REQUIRED, body) and never reaches upstream", async () => {
    const before = upstream.seen.length;
    const res = await get("/api/data?x=1", { accept: "application/json" });
    expect(res.status).toBe(402);
    expect(res.headers.get("content-type")).toBe("application/json");
    const body = await res.json();
    const network = `cosmos:${stack.devnet.chainId}`;
    const resource = `${caddy.url}/api/data?x=1`;
    expect(body).toMatchObject({
      error: "PAYMENT_REQUIRED",
      message: "Payment of 0.001000 NTMPI required for GET /api/data",
      x402Version: 1,
    });
    expect(body.payment).toMatchObject({
      amount: "0.001000",
      amountMicro: "1000",
      currency: "NTMPI",
      denom: "uneutaro",
      address: stack.payTo,
      network,
      verifyUrl: `${caddy.url}/invoices/${body.payment.invoiceId}`,
    });
    expect(body.prepaid).toEqual({
      accountsUrl: `${caddy.url}/prepaid/accounts`,
      depositUrl: `${caddy.url}/prepaid/deposit`,
      balanceUrl: `${caddy.url}/prepaid/balance/{clientId}`,
    });
    expect(body.accepts).toEqual([
      {
        scheme: "exact",
        network,
        maxAmountRequired: "1000",
        asset: "uneutaro",
        payTo: stack.payTo,
        resource,
        description: body.message,
        mimeType: "application/json",
        maxTimeoutSeconds: 300,
        extra: { invoiceId: body.payment.invoiceId, memo: body.payment.invoiceId, decimals: 6 },
      },
    ]);
    const v2 = decode(res.headers.get("payment-required"));
    expect(v2).toMatchObject({ x402Version: 2, resource: { url: resource, mimeType: "application/json" } });
    expect(v2.accepts[0]).toMatchObject({
      scheme: "exact",
      network,
      amount: "1000",
      asset: "uneutaro",
      payTo: stack.payTo,
      extra: { invoiceId: body.payment.invoiceId },
    });
    expect(upstream.seen.length).toBe(before);
  });

  it("a paid request reaches upstream once with gate402's x-gate402-* headers and without the proof; a replay is refused", async () => {
    const inv = await invoiceFor();
    const { txHash } = await stack.agent.send(inv.address, BigInt(inv.amountMicro), inv.memo);
    const proof = { "X-Payment-Proof": `${inv.invoiceId}:${txHash}` };
    const { res, seen } = await upstreamSaw(() =>
      get("/api/data?x=2", { ...proof, "X-Gate402-Paid-By": "spoofed", "X-Gate402-Dry-Run": "spoofed" }),
    );
    expect(await res.json()).toMatchObject({ upstream: true });
    expect(seen.url).toBe("/api/data?x=2");
    expect(seen.headers).toMatchObject({
      "x-gate402-paid-by": "invoice",
      "x-gate402-route": "default",
      "x-gate402-amount-micro": "1000",
      "x-gate402-payer": stack.agent.address,
      "x-gate402-tx-hash": txHash,
      "x-gate402-client-id": "",
    });
    expect(seen.headers["x-gate402-decision-id"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(seen.headers["x-payment-proof"]).toBeUndefined();
    expect(seen.headers["x-gate402-dry-run"]).toBeUndefined();
    expectNoPlaceholders(seen);
    expect(decode(res.headers.get("payment-response"))).toEqual({
      success: true,
      transaction: txHash,
      network: `cosmos:${stack.devnet.chainId}`,
      payer: stack.agent.address,
    });
    expect(res.headers.get("x-prepaid-balance")).toBeNull();

    const before = upstream.seen.length;
    const replay = await get("/api/data?x=2", proof);
    expect(replay.status).toBe(402);
    const body = await replay.json();
    expect(body.error).toBe("PROOF_ALREADY_USED");
    expect(body.payment.invoiceId).not.toBe(inv.invoiceId);
    expect(upstream.seen.length).toBe(before);
  });

  it("x402 PAYMENT-SIGNATURE works through Caddy and is not passed upstream", async () => {
    const inv = await invoiceFor();
    const { txHash } = await stack.agent.send(inv.address, BigInt(inv.amountMicro), inv.memo);
    const sig = Buffer.from(
      JSON.stringify({
        x402Version: 2,
        accepted: { scheme: "exact", network: `cosmos:${stack.devnet.chainId}` },
        payload: { txHash, invoiceId: inv.invoiceId },
      }),
    ).toString("base64");
    const { seen } = await upstreamSaw(() => get("/api/data", { "PAYMENT-SIGNATURE": sig }));
    expect(seen.headers["payment-signature"]).toBeUndefined();
    expect(seen.headers["x-gate402-tx-hash"]).toBe(txHash);
  });

  it("the client cannot change what is priced: spoofed X-Forwarded-*, dot segments and query settings are ignored", async () => {
    const before = upstream.seen.length;
    const spoofed = await get("/api/data", {
      "X-Forwarded-Uri": "/free/x",
      "X-Forwarded-Method": "OPTIONS",
      "X-Forwarded-Host": "evil.example",
    });
    expect(spoofed.status).toBe(402);
    expect((await spoofed.json()).message).toBe("Payment of 0.001000 NTMPI required for GET /api/data");
    const dotted = await rawRequest({ port: caddy.port, path: "/free/../api/data" });
    expect(dotted.status).toBe(402);
    const premium = await get("/premium/report?price=0&free=true&route=x");
    expect(premium.status).toBe(402);
    expect((await premium.json()).payment.amountMicro).toBe("2000");
    expect(upstream.seen.length).toBe(before);
  });

  it("the proxy prices a route through the auth URI (route=premium&price=0.002) and gate402 bills it so", async () => {
    const inv = await invoiceFor("/premium/report");
    expect(inv.amountMicro).toBe("2000");
    const { txHash } = await stack.agent.send(inv.address, BigInt(inv.amountMicro), inv.memo);
    const { seen } = await upstreamSaw(() => get("/premium/report", { "X-Payment-Proof": `${inv.invoiceId}:${txHash}` }));
    expect(seen.headers).toMatchObject({ "x-gate402-route": "premium", "x-gate402-amount-micro": "2000", "x-gate402-paid-by": "invoice" });
  });

  it("a free route passes with the full x-gate402-* set (empty where n/a), no placeholders", async () => {
    const { res, seen } = await upstreamSaw(() => get("/free/doc"));
    expect(seen.headers).toMatchObject({
      "x-gate402-paid-by": "free",
      "x-gate402-amount-micro": "0",
      "x-gate402-payer": "",
      "x-gate402-tx-hash": "",
      "x-gate402-client-id": "",
    });
    expectNoPlaceholders(seen);
    expect(res.headers.get("payment-response")).toBeNull();
  });
});

describe("prepaid through Caddy forward_auth", () => {
  it("a funded account is served with X-Client-Id/X-Client-Key or Bearer, the upstream never sees the key, and an empty one gets 402", async () => {
    const acct = await (await fetch(`${stack.gw.httpUrl}/prepaid/accounts`, { method: "POST" })).json();
    const dep = await stack.agent.send(acct.depositAddress, 2500n, acct.depositMemo);
    const credited = await fetch(`${stack.gw.httpUrl}/prepaid/deposit`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ clientId: acct.clientId, txHash: dep.txHash }),
    });
    expect(credited.status).toBe(200);

    const first = await upstreamSaw(() => get("/api/data", { "X-Client-Id": acct.clientId, "X-Client-Key": acct.clientKey }));
    expect(first.seen.headers).toMatchObject({
      "x-gate402-paid-by": "prepaid",
      "x-gate402-client-id": acct.clientId,
      "x-gate402-payer": "",
      "x-gate402-tx-hash": "",
    });
    expect(first.seen.headers["x-client-key"]).toBeUndefined();
    expect(first.seen.headers["x-client-id"]).toBeUndefined();
    expectNoPlaceholders(first.seen);
    expect(first.res.headers.get("x-prepaid-balance-micro")).toBe("1500");
    expect(first.res.headers.get("payment-response")).toBeNull();

    const second = await upstreamSaw(() => get("/api/data", { "X-Client-Id": acct.clientId, Authorization: `Bearer ${acct.clientKey}` }));
    expect(second.seen.headers["authorization"]).toBeUndefined();
    expect(second.res.headers.get("x-prepaid-balance-micro")).toBe("500");

    const before = upstream.seen.length;
    const broke = await get("/api/data", { "X-Client-Id": acct.clientId, "X-Client-Key": acct.clientKey });
    expect(broke.status).toBe(402);
    expect((await broke.json()).error).toBe("INSUFFICIENT_BALANCE");
    const wrongKey = await get("/api/data", { "X-Client-Id": acct.clientId, "X-Client-Key": "x".repeat(43) });
    expect(wrongKey.status).toBe(401);
    expect((await wrongKey.json()).error).toBe("INVALID_CLIENT_CREDENTIALS");
    expect(upstream.seen.length).toBe(before);
  });

  it("the SDK's prepaid mode works behind this Caddyfile: sign-up, deposit and balance go through Caddy to gate402, calls are allowed", async () => {
    const created = await fetch(`${caddy.url}/prepaid/accounts`, { method: "POST" });
    expect(created.status).toBe(201);
    const acct = await created.json();
    const payer = cosmjsPayer({
      mnemonic: stack.devnet.wallets[4]!.mnemonic,
      rpc: stack.devnet.rpcUrl,
      chainId: stack.devnet.chainId,
      gasPrice: "0.025uneutaro",
      pollIntervalMs: 100,
    });
    try {
      const paidFetch = createPaidFetch({
        payer,
        store: memoryStore(),
        policy: {
          allowedHosts: ["127.0.0.1"],
          allowedPayTo: [stack.payTo],
          allowedNetworks: [`cosmos:${stack.devnet.chainId}`],
          maxPerRequest: "0.01",
          maxPerDay: "1",
        },
        prepaid: { clientId: acct.clientId, key: acct.clientKey, topUpMicro: "0.003" },
      });
      const before = upstream.seen.length;
      for (let i = 0; i < 3; i++) {
        const res = await paidFetch(`${caddy.url}/api/data?n=${i}`);
        expect(res.status).toBe(200);
        expect(res.headers.get("x-prepaid-balance-micro")).toBe(String(2000 - i * 1000));
      }
      expect(upstream.seen.length).toBe(before + 3);
      const receipts = await paidFetch.exportReceipts();
      expect(receipts).toHaveLength(1);
      expect(receipts[0]).toMatchObject({ kind: "deposit", clientId: acct.clientId, status: "redeemed" });
      const balance = await fetch(`${caddy.url}/prepaid/balance/${acct.clientId}`, { headers: { "X-Client-Key": acct.clientKey } });
      expect(balance.status).toBe(200);
      expect((await balance.json()).balanceMicro).toBe("0");
    } finally {
      payer.disconnect();
    }
  });

  it("an Authorization header meant for the upstream passes untouched when no prepaid client id is sent", async () => {
    const { seen } = await upstreamSaw(() => get("/free/doc", { Authorization: "Bearer upstream-token" }));
    expect(seen.headers["authorization"]).toBe("Bearer upstream-token");
  });
});

describe("gate402 down", () => {
  // Last in the file: stops the stack for good.
  it("Caddy answers an error, never 200, and the upstream is not reached", async () => {
    await stack.stop();
    stackStopped = true;
    const before = upstream.seen.length;
    for (const path of ["/api/data", "/free/doc", "/premium/report"]) {
      const res = await get(path, { "X-Payment-Proof": "whatever" });
      expect(res.status).toBeGreaterThanOrEqual(500);
    }
    expect(upstream.seen.length).toBe(before);
  });
});
