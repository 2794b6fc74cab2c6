/**
 * gate402 as the x402 facilitator of an unmodified @x402/express app: the app's x402ResourceServer
 * talks to gate402's /x402 API through @x402/core's HTTPFacilitatorClient and uses gate402/x402's
 * ExactCosmosServerScheme; an @x402/fetch client with registerExactCosmosScheme pays it on the devnet.
 */
import type { AddressInfo } from "node:net";
import type { Server } from "node:http";
import { HTTPFacilitatorClient, x402ResourceServer } from "@x402/core/server";
import { decodePaymentResponseHeader } from "@x402/core/http";
import { paymentMiddleware } from "@x402/express";
import express from "express";
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExactCosmosScheme, ExactCosmosServerScheme } from "../../src/x402/index.js";
import { startStack, type Stack } from "../support/stack.js";
import { x402Payer, type X402Payer } from "../support/x402.js";
import { headerOf, paymentRequiredOf, signedPayload } from "../support/x402-payloads.js";

const TOKEN = "facilitator-token-0123456789abcdef";
let stack: Stack;
let payer: X402Payer;
let server: Server;
let appUrl: string;
let network: string;
let merchant: string;
let handled = 0;

beforeAll(async () => {
  stack = await startStack({ env: { GATEWAY_X402_FACILITATOR_TOKEN: TOKEN } });
  network = `cosmos:${stack.devnet.chainId}`;
  merchant = stack.devnet.wallets[5]!.address; // the app's own address: gate402 holds nothing
  const facilitator = new HTTPFacilitatorClient({
    url: `${stack.gw.httpUrl}/x402`,
    createAuthHeaders: async () => ({
      verify: { authorization: `Bearer ${TOKEN}` },
      settle: { authorization: `Bearer ${TOKEN}` },
      supported: {},
    }),
  });
  const resourceServer = new x402ResourceServer(facilitator).register(network as `${string}:${string}`, new ExactCosmosServerScheme());
  const app = express();
  app.use(
    paymentMiddleware(
      {
        "GET /weather": {
          accepts: { scheme: "exact", price: "0.002", network: network as `${string}:${string}`, payTo: merchant, maxTimeoutSeconds: 120 },
          description: "Weather",
        },
      },
      resourceServer,
    ),
  );
  app.get("/weather", (_req, res) => {
    handled++;
    res.json({ weather: "sunny" });
  });
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s));
  });
  appUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  payer = await x402Payer({ rpcUrl: stack.devnet.rpcUrl, mnemonic: stack.devnet.wallets[6]!.mnemonic, network });
});
afterAll(async () => {
  await new Promise((r) => server?.close(r));
  await payer?.close();
  await stack?.stop();
});

describe("gate402 as facilitator for @x402/express", () => {
  it("GET /x402/supported lists exact on cosmos:<chain-id>", async () => {
    const res = await fetch(`${stack.gw.httpUrl}/x402/supported`);
    expect(res.status).toBe(200);
    expect((await res.json()).kinds).toContainEqual(expect.objectContaining({ x402Version: 2, scheme: "exact", network }));
  });

  it("verify and settle need the shared token when one is configured", async () => {
    const res = await fetch(`${stack.gw.httpUrl}/x402/verify`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(res.status).toBe(401);
  });

  it("the @x402/fetch client pays the express app → 200; the merchant receives the price", async () => {
    const before = stack.devnet.balance(merchant);
    const res = await payer.fetch(`${appUrl}/weather`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ weather: "sunny" });
    const receipt = decodePaymentResponseHeader(res.headers.get("payment-response")!);
    expect(receipt).toMatchObject({ success: true, network, payer: payer.address });
    await expect.poll(() => stack.devnet.balance(merchant) - before, { timeout: 10_000 }).toBe(2000n);
  });

  it("the same payload replayed → 402, the handler does not run again", async () => {
    const calls = handled;
    const res = await fetch(`${appUrl}/weather`, { headers: { "payment-signature": payer.header(payer.payloads.at(-1)!) } });
    expect(res.status).toBe(402);
    expect(handled).toBe(calls);
  });

  it("a transaction signed for another requirement (less, or to another address) is refused", async () => {
    const signer = await DirectSecp256k1HdWallet.fromMnemonic(stack.devnet.wallets[7]!.mnemonic, { prefix: "neutaro" });
    const scheme = new ExactCosmosScheme({ signer, rpc: stack.devnet.rpcUrl, pendingSequenceMs: 0 });
    const calls = handled;
    for (const alter of [{ amount: "1999" }, { payTo: stack.devnet.wallets[8]!.address }]) {
      const pr = await paymentRequiredOf(`${appUrl}/weather`);
      const p = await signedPayload(scheme, pr, { ...pr.accepts[0]!, ...alter });
      const res = await fetch(`${appUrl}/weather`, { headers: { "payment-signature": headerOf(p) } });
      expect(res.status).toBe(402);
    }
    expect(handled).toBe(calls);
    await scheme.disconnect();
  });

  it("a client in broadcast mode (tx-hash payload) pays too; the facilitator checks the included tx and redeems it once", async () => {
    const hashPayer = await x402Payer({
      rpcUrl: stack.devnet.rpcUrl,
      mnemonic: stack.devnet.wallets[9]!.mnemonic,
      network,
      mode: "broadcast",
    });
    const before = stack.devnet.balance(merchant);
    const res = await hashPayer.fetch(`${appUrl}/weather`);
    expect(res.status).toBe(200);
    expect(hashPayer.payloads.at(-1)!.payload).toHaveProperty("txHash");
    expect(stack.devnet.balance(merchant) - before).toBe(2000n);
    const replay = await fetch(`${appUrl}/weather`, { headers: { "payment-signature": hashPayer.header(hashPayer.payloads.at(-1)!) } });
    expect(replay.status).toBe(402);
  });
});
