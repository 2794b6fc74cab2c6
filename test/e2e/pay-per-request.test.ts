import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkClient, type ExtAuthzClient } from "../support/extauthz-client.js";
import {
  deniedBody,
  deniedHeaders,
  envoyCheck,
  headersToRemove,
  httpStatus,
  okHeaders,
  okResponseHeaders,
  type CheckInput,
} from "../support/check-request.js";
import { startStack, type Stack } from "../support/stack.js";

let stack: Stack;
let client: ExtAuthzClient;
const route = (path: string, price: string, id: string): CheckInput => ({ path, contextExtensions: { price, route: id } });

beforeAll(async () => {
  // 50 concurrent Checks share 10 connections: on a loaded machine some wait over the 1 s default for
  // one and would answer 503 STORE_UNAVAILABLE; this file tests redemption, not the pool deadline.
  stack = await startStack({
    env: { GATEWAY_ROUTES: "/api/cheap/*=0.000500,POST /api/write/*=0.002", GATEWAY_DB_ACQUIRE_TIMEOUT_MS: "30000" },
  });
  client = checkClient(`127.0.0.1:${stack.gw.grpcPort}`);
});
afterAll(async () => {
  client?.close();
  await stack?.stop();
});

/** Asks for the resource without paying and returns the invoice from the 402 body. */
async function invoiceFor(input: CheckInput = {}) {
  const res = await client.check(envoyCheck(input));
  expect(httpStatus(res)).toBe(402);
  return deniedBody(res).payment as { invoiceId: string; amountMicro: string; address: string; memo: string };
}

describe("pay per request through gRPC Check", () => {
  it("an unpaid request gets a 402 whose body and PAYMENT-REQUIRED header follow docs/design.md", async () => {
    const res = await client.check(envoyCheck({ path: "/api/data?x=1" }));
    expect(res.status?.code).toBe(7);
    expect(httpStatus(res)).toBe(402);
    const headers = deniedHeaders(res);
    expect(headers["content-type"]).toBe("application/json");
    const body = deniedBody(res);
    expect(body.error).toBe("PAYMENT_REQUIRED");
    expect(body.message).toBe("Payment of 0.001000 NTMPI required for GET /api/data");
    const p = body.payment;
    expect(p).toMatchObject({
      amount: "0.001000",
      amountMicro: "1000",
      currency: "NTMPI",
      denom: "uneutaro",
      address: stack.payTo,
      network: `cosmos:${stack.devnet.chainId}`,
    });
    expect(p.memo).toBe(p.invoiceId);
    expect(p.invoiceId).toMatch(/^[A-Za-z0-9_.-]+$/);
    expect(Buffer.byteLength(p.invoiceId)).toBeLessThan(256);
    expect(p.expiresAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(p.verifyUrl).toBe(`https://api.example.com/invoices/${p.invoiceId}`);
    expect(p.clawpurse).toBe(`clawpurse send ${stack.payTo} 0.001000 --memo ${p.invoiceId} --yes`);
    expect(body.prepaid).toEqual({
      accountsUrl: "https://api.example.com/prepaid/accounts",
      depositUrl: "https://api.example.com/prepaid/deposit",
      balanceUrl: "https://api.example.com/prepaid/balance/{clientId}",
    });
    expect(body.x402Version).toBe(1);
    expect(body.accepts).toEqual([
      {
        scheme: "exact",
        network: `cosmos:${stack.devnet.chainId}`,
        maxAmountRequired: "1000",
        asset: "uneutaro",
        payTo: stack.payTo,
        resource: "https://api.example.com/api/data?x=1",
        description: body.message,
        mimeType: "application/json",
        maxTimeoutSeconds: 300,
        extra: { invoiceId: p.invoiceId, memo: p.invoiceId, decimals: 6 },
      },
    ]);
    const v2 = JSON.parse(Buffer.from(headers["payment-required"]!, "base64").toString("utf8"));
    expect(v2).toMatchObject({ x402Version: 2, resource: { url: "https://api.example.com/api/data?x=1", mimeType: "application/json" } });
    expect(v2.accepts[0]).toMatchObject({
      scheme: "exact",
      amount: "1000",
      asset: "uneutaro",
      payTo: stack.payTo,
      extra: { invoiceId: p.invoiceId },
    });
  });

  it("issuing a 402 writes nothing to the database", async () => {
    const count = async () =>
      (await stack.gw.store.pool.query("SELECT (SELECT count(*) FROM redemptions) + (SELECT count(*) FROM spent_txs) AS n")).rows[0].n;
    const before = await count();
    await Promise.all(Array.from({ length: 20 }, () => invoiceFor()));
    expect(await count()).toBe(before);
  });

  it("a paid invoice is allowed once, strips the proof and returns PAYMENT-RESPONSE; a replay is refused with a fresh invoice", async () => {
    const inv = await invoiceFor();
    const { txHash } = await stack.agent.send(inv.address, BigInt(inv.amountMicro), inv.memo);
    const proof = { "x-payment-proof": `${inv.invoiceId}:${txHash}` };
    const ok = await client.check(envoyCheck({ headers: proof }));
    expect(httpStatus(ok)).toBe(200);
    expect(headersToRemove(ok)).toContain("x-payment-proof");
    expect(okHeaders(ok)).toMatchObject({
      "x-gate402-paid-by": "invoice",
      "x-gate402-tx-hash": txHash,
      "x-gate402-payer": stack.agent.address,
    });
    const receipt = JSON.parse(Buffer.from(okResponseHeaders(ok)["payment-response"]!, "base64").toString());
    expect(receipt).toEqual({ success: true, transaction: txHash, network: `cosmos:${stack.devnet.chainId}`, payer: stack.agent.address });
    const replay = await client.check(envoyCheck({ headers: proof }));
    expect(httpStatus(replay)).toBe(402);
    const body = deniedBody(replay);
    expect(body.error).toBe("PROOF_ALREADY_USED");
    expect(body.payment.invoiceId).not.toBe(inv.invoiceId);
  });

  it("50 concurrent requests carrying one proof: exactly one is allowed", async () => {
    const inv = await invoiceFor();
    const { txHash } = await stack.agent.send(inv.address, BigInt(inv.amountMicro), inv.memo);
    // From 50 client IPs: one IP sending 50 lookups at once would exceed its chain-lookup burst (429).
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        client.check(envoyCheck({ headers: { "x-payment-proof": `${inv.invoiceId}:${txHash}` }, sourceAddress: `10.0.1.${i + 1}` })),
      ),
    );
    const allowed = results.filter((r) => httpStatus(r) === 200);
    expect(allowed).toHaveLength(1);
    for (const r of results.filter((r) => httpStatus(r) !== 200)) expect(deniedBody(r).error).toBe("PROOF_ALREADY_USED");
  });

  it("an invoice id alone is enough once the payment is on chain (ClawPurse style)", async () => {
    const inv = await invoiceFor();
    await stack.agent.send(inv.address, BigInt(inv.amountMicro), inv.memo);
    const ok = await client.check(envoyCheck({ headers: { "x-payment-proof": inv.invoiceId } }));
    expect(httpStatus(ok)).toBe(200);
  });

  it("a tx hash alone is enough: the invoice comes from the memo", async () => {
    const inv = await invoiceFor();
    const { txHash } = await stack.agent.send(inv.address, BigInt(inv.amountMicro), inv.memo);
    expect(httpStatus(await client.check(envoyCheck({ headers: { "x-payment-proof": txHash.toLowerCase() } })))).toBe(200);
  });

  it("x402 v2 PAYMENT-SIGNATURE and v1 X-PAYMENT proofs are accepted; v1 also gets X-PAYMENT-RESPONSE", async () => {
    const network = `cosmos:${stack.devnet.chainId}`;
    const inv2 = await invoiceFor();
    const tx2 = await stack.agent.send(inv2.address, BigInt(inv2.amountMicro), inv2.memo);
    const v2 = Buffer.from(
      JSON.stringify({
        x402Version: 2,
        accepted: { scheme: "exact", network },
        payload: { txHash: tx2.txHash, invoiceId: inv2.invoiceId },
      }),
    ).toString("base64");
    const ok2 = await client.check(envoyCheck({ headers: { "payment-signature": v2 } }));
    expect(httpStatus(ok2)).toBe(200);
    expect(headersToRemove(ok2)).toContain("payment-signature");
    expect(okResponseHeaders(ok2)["x-payment-response"]).toBeUndefined();
    const inv1 = await invoiceFor();
    const tx1 = await stack.agent.send(inv1.address, BigInt(inv1.amountMicro), inv1.memo);
    const v1 = Buffer.from(
      JSON.stringify({ x402Version: 1, scheme: "exact", network, payload: { txHash: tx1.txHash, invoiceId: inv1.invoiceId } }),
    ).toString("base64");
    const ok1 = await client.check(envoyCheck({ headers: { "x-payment": v1 } }));
    expect(httpStatus(ok1)).toBe(200);
    expect(okResponseHeaders(ok1)["x-payment-response"]).toBe(okResponseHeaders(ok1)["payment-response"]);
  });

  it("a proof paid for route A is refused on route B, and on another method", async () => {
    const a = route("/api/a", "0.001", "route-a");
    const inv = await invoiceFor(a);
    const { txHash } = await stack.agent.send(inv.address, BigInt(inv.amountMicro), inv.memo);
    const proof = { "x-payment-proof": `${inv.invoiceId}:${txHash}` };
    const onB = await client.check(envoyCheck({ ...route("/api/b", "0.001", "route-b"), headers: proof }));
    expect(deniedBody(onB).error).toBe("WRONG_RESOURCE");
    const asPost = await client.check(envoyCheck({ ...a, method: "POST", headers: proof }));
    expect(deniedBody(asPost).error).toBe("WRONG_RESOURCE");
    expect(httpStatus(await client.check(envoyCheck({ ...a, headers: proof })))).toBe(200);
  });

  it("each bad payment is refused with its own code", async () => {
    const under = await invoiceFor();
    const u = await stack.agent.send(under.address, BigInt(under.amountMicro) - 1n, under.memo);
    expect(deniedBody(await client.check(envoyCheck({ headers: { "x-payment-proof": `${under.invoiceId}:${u.txHash}` } }))).error).toBe(
      "INSUFFICIENT_AMOUNT",
    );

    const memo = await invoiceFor();
    const m = await stack.agent.send(memo.address, BigInt(memo.amountMicro), "some other memo");
    expect(deniedBody(await client.check(envoyCheck({ headers: { "x-payment-proof": `${memo.invoiceId}:${m.txHash}` } }))).error).toBe(
      "PAYMENT_NOT_FOUND",
    );

    const wrongTo = await invoiceFor();
    const w = await stack.agent.send(stack.devnet.wallets[7]!.address, BigInt(wrongTo.amountMicro), wrongTo.memo);
    const wrongRes = deniedBody(await client.check(envoyCheck({ headers: { "x-payment-proof": `${wrongTo.invoiceId}:${w.txHash}` } })));
    expect(wrongRes.error).toBe("PAYMENT_NOT_FOUND");
    expect(wrongRes.message).toContain("pays nothing");

    const failed = await invoiceFor();
    const poor = await stack.payer(8);
    const f = await poor.send(failed.address, stack.devnet.balance(poor.address) * 2n, failed.memo).catch((e: Error) => e);
    const failedHash = f instanceof Error ? /([0-9A-F]{64})/.exec(f.message)?.[1] : f.txHash;
    expect(failedHash).toBeDefined();
    const fr = deniedBody(await client.check(envoyCheck({ headers: { "x-payment-proof": `${failed.invoiceId}:${failedHash}` } })));
    expect(fr.error).toBe("PAYMENT_NOT_FOUND");
    expect(fr.message).toMatch(/failed on chain \(code [1-9]/);
  });

  it("a tampered invoice id is refused as INVALID_PROOF (400) and nothing is looked up", async () => {
    const inv = await invoiceFor();
    const { txHash } = await stack.agent.send(inv.address, BigInt(inv.amountMicro), inv.memo);
    const [payload, mac] = inv.invoiceId.split(".");
    const flipped = payload!.slice(0, -2) + (payload!.at(-2) === "A" ? "B" : "A") + payload!.at(-1);
    const res = await client.check(envoyCheck({ headers: { "x-payment-proof": `${flipped}.${mac}:${txHash}` } }));
    expect(httpStatus(res)).toBe(400);
    expect(deniedBody(res).error).toBe("INVALID_PROOF");
  });
});

describe("invoice expiry", () => {
  let late: Stack;
  let lateClient: ExtAuthzClient;
  let offsetMs = 0;
  beforeAll(async () => {
    late = await startStack({ env: { GATEWAY_INVOICE_TTL: "60", GATEWAY_LATE_GRACE: "0" }, start: { clock: () => Date.now() + offsetMs } });
    lateClient = checkClient(`127.0.0.1:${late.gw.grpcPort}`);
  });
  afterAll(async () => {
    lateClient?.close();
    await late?.stop();
  });

  it("with no late grace, a payment included after the invoice expired is refused with INVOICE_EXPIRED", async () => {
    offsetMs = -120_000; // the invoice is issued two minutes in the past: already expired
    const res = await lateClient.check(envoyCheck());
    const inv = deniedBody(res).payment;
    offsetMs = 0;
    const { txHash } = await late.agent.send(inv.address, BigInt(inv.amountMicro), inv.memo);
    const refused = await lateClient.check(envoyCheck({ headers: { "x-payment-proof": `${inv.invoiceId}:${txHash}` } }));
    expect(deniedBody(refused).error).toBe("INVOICE_EXPIRED");
  });

  it("a payment made in time but presented after expiry still redeems (block time decides)", async () => {
    offsetMs = 0;
    const inv = deniedBody(await lateClient.check(envoyCheck())).payment;
    const { txHash } = await late.agent.send(inv.address, BigInt(inv.amountMicro), inv.memo);
    offsetMs = 10 * 60_000;
    const ok = await lateClient.check(envoyCheck({ headers: { "x-payment-proof": `${inv.invoiceId}:${txHash}` } }));
    offsetMs = 0;
    expect(httpStatus(ok)).toBe(200);
  });
});
