/**
 * A payment that is not in a block yet keeps its invoice: client → Caddy 2.6.2 (`forward_auth`) →
 * gate402, on a devnet whose blocks the test commits by hand, so "broadcast but not included" is a
 * state the test holds for as long as it wants. Payments are real signed txs.
 */
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import { calculateFee, GasPrice, SigningStargateClient } from "@cosmjs/stargate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireCaddy, startCaddy, type CaddyProxy } from "../support/caddy.js";
import { startStack, type Stack } from "../support/stack.js";
import { recordingUpstream, type RecordingUpstream } from "../support/upstream.js";

let stack: Stack;
let upstream: RecordingUpstream;
let caddy: CaddyProxy;
let client: SigningStargateClient;
let agent: string;
const fee = calculateFee(200_000, GasPrice.fromString("0.025uneutaro"));

beforeAll(async () => {
  requireCaddy();
  // blockTimeMs 0: no block timer; the test calls produceBlock().
  stack = await startStack({ blockTimeMs: 0 });
  upstream = await recordingUpstream();
  caddy = await startCaddy({ gatePort: stack.gw.httpPort, upstreamPort: upstream.port });
  const wallet = await DirectSecp256k1HdWallet.fromMnemonic(stack.devnet.wallets[3]!.mnemonic, { prefix: "neutaro" });
  agent = (await wallet.getAccounts())[0]!.address;
  client = await SigningStargateClient.connectWithSigner(stack.devnet.rpcUrl, wallet);
});
afterAll(async () => {
  client?.disconnect();
  await caddy?.stop();
  await upstream?.close();
  await stack?.stop();
});

const get = (path: string, headers: Record<string, string> = {}) => fetch(`${caddy.url}${path}`, { headers });

interface Payment {
  invoiceId: string;
  amountMicro: string;
  address: string;
  memo: string;
  verifyUrl: string;
}

async function invoiceFor(path: string): Promise<Payment> {
  const res = await get(path);
  expect(res.status).toBe(402);
  return (await res.json()).payment as Payment;
}

/** Signs and broadcasts (CheckTx only): the tx sits in the mempool until the next produceBlock(). */
async function broadcast(p: Payment): Promise<string> {
  const msg = {
    typeUrl: "/cosmos.bank.v1beta1.MsgSend",
    value: { fromAddress: agent, toAddress: p.address, amount: [{ denom: "uneutaro", amount: p.amountMicro }] },
  };
  return (await client.signAndBroadcastSync(agent, [msg], fee, p.memo)).toUpperCase();
}

describe("pending payments through Caddy", () => {
  it("broadcast, then an immediate retry with the invoice id → 402 PAYMENT_PENDING with the same invoice and Retry-After; after the block → 200; paid once", async () => {
    const before = stack.devnet.balance(agent);
    const inv = await invoiceFor("/api/pending?a=1");
    const txHash = await broadcast(inv);
    let retryAfter = 0;
    for (const proof of [inv.invoiceId, `${inv.invoiceId}:${txHash}`]) {
      const early = await get("/api/pending?a=1", { "X-Payment-Proof": proof });
      expect(early.status).toBe(402);
      retryAfter = Number(early.headers.get("retry-after"));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      const body = await early.json();
      expect(body.error).toBe("PAYMENT_PENDING");
      expect(body.payment.invoiceId).toBe(inv.invoiceId);
      const v2 = JSON.parse(Buffer.from(early.headers.get("payment-required")!, "base64").toString("utf8"));
      expect(v2.accepts[0].extra.invoiceId).toBe(inv.invoiceId);
    }
    const seenBefore = upstream.seen.length;
    await stack.devnet.produceBlock();
    await new Promise((r) => setTimeout(r, retryAfter * 1000));
    const paid = await get("/api/pending?a=1", { "X-Payment-Proof": inv.invoiceId });
    expect(paid.status).toBe(200);
    expect(upstream.seen.length).toBe(seenBefore + 1);
    expect(before - stack.devnet.balance(agent)).toBe(BigInt(inv.amountMicro) + BigInt(fee.amount[0]!.amount));
  });

  it("the seed's documented agent: pay, wait for inclusion, retry once with the invoice id → 200", async () => {
    const inv = await invoiceFor("/api/seed");
    const txHash = await broadcast(inv);
    const height = await stack.devnet.produceBlock();
    const tx = await client.getTx(txHash);
    expect(tx?.height).toBe(height);
    const res = await get("/api/seed", { "X-Payment-Proof": inv.invoiceId });
    expect(res.status, await res.clone().text()).toBe(200);
  });

  it("the invoice's absolute verifyUrl reaches gate402 through Caddy without passing the gate", async () => {
    const inv = await invoiceFor("/api/verify");
    expect(inv.verifyUrl).toBe(`${caddy.url}/invoices/${inv.invoiceId}`);
    const res = await fetch(inv.verifyUrl);
    expect(res.status).toBe(200);
    expect((await res.json()).invoiceId).toBe(inv.invoiceId);
  });
});
