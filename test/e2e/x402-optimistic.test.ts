/**
 * Bounds on optimistic allows of signed payments: a payer whose tx fails on chain after the allow is
 * refused optimistic settlement from then on; the per-payer cap on unconfirmed value holds, also
 * under 50 concurrent payments. Blocks are produced by hand so nothing confirms unless the test says so.
 */
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pgSettlements } from "../../src/store/settlements.js";
import { ExactCosmosScheme } from "../../src/x402/index.js";
import { startStack, type Stack } from "../support/stack.js";
import { headerOf, paymentRequiredOf, signedPayload } from "../support/x402-payloads.js";
import { x402Payer } from "../support/x402.js";

let stack: Stack;
const PRICE = 1000n;
const CAP = 5000n;

beforeAll(async () => {
  stack = await startStack({
    blockTimeMs: 0,
    env: {
      GATEWAY_ROUTES: "GET /api/data=0.001,GET /api/big=0.01",
      GATEWAY_X402_MAX_UNCONFIRMED: "0.005",
      GATEWAY_X402_CONFIRM_ABOVE: "0.005",
      GATEWAY_X402_CONFIRMER_MS: "50",
      GATEWAY_WATCHER: "false",
      GATEWAY_RATE_LIMIT_PER_SEC: "0",
    },
  });
});
afterAll(async () => {
  await stack?.stop();
});

const url = () => `${stack.gw.httpUrl}/ext-authz/api/data`;
const settlements = () => pgSettlements(stack.gw.store.pool);

async function metric(name: string, labels: string): Promise<number> {
  const text = await stack.gw.metrics.registry.metrics();
  const line = text.split("\n").find((l) => l.startsWith(`${name}{${labels}}`));
  return line ? Number(line.split(" ").at(-1)) : 0;
}

async function newScheme(fundMicro: bigint): Promise<{ scheme: ExactCosmosScheme; address: string }> {
  const signer = await DirectSecp256k1HdWallet.generate(12, { prefix: "neutaro" });
  const [acc] = await signer.getAccounts();
  stack.devnet.fund(acc!.address, fundMicro);
  return { scheme: new ExactCosmosScheme({ signer, rpc: stack.devnet.rpcUrl }), address: acc!.address };
}

async function pay(scheme: ExactCosmosScheme, target = url()): Promise<{ status: number; error?: string }> {
  const pr = await paymentRequiredOf(target);
  const res = await fetch(target, { headers: { "payment-signature": headerOf(await signedPayload(scheme, pr, pr.accepts[0]!)) } });
  return { status: res.status, error: res.status === 200 ? undefined : (await res.json()).error };
}

describe("optimistic settlement of signed payments is bounded", () => {
  it("a payer whose tx fails on chain after the allow is refused optimistic settlement from then on", async () => {
    // Enough for the fee (CheckTx passes) but not for the price (DeliverTx fails: insufficient funds).
    const { scheme, address } = await newScheme(2500n + 500n);
    expect(await pay(scheme)).toEqual({ status: 200, error: undefined });
    await stack.devnet.produceBlock();
    await expect.poll(() => metric("gate402_x402_settlement_outcomes_total", 'outcome="failed"'), { timeout: 10_000 }).toBe(1);
    expect(await settlements().payerState(address)).toEqual({ unconfirmedMicro: 0n, blocked: true });
    stack.devnet.fund(address, 1_000_000n);
    expect(await pay(scheme)).toEqual({ status: 402, error: "SETTLEMENT_REFUSED" });
    expect(await metric("gate402_x402_settlements_total", 'result="refused_blocked"')).toBe(1);
    await scheme.disconnect();
  });

  it("the cap on unconfirmed value: the payment that would exceed it is refused until a block confirms the others", async () => {
    const { scheme, address } = await newScheme(10_000_000n);
    for (let i = 0; i < 5; i++) expect((await pay(scheme)).status).toBe(200);
    expect((await settlements().payerState(address)).unconfirmedMicro).toBe(5n * PRICE);
    expect(await pay(scheme)).toEqual({ status: 402, error: "SETTLEMENT_REFUSED" });
    await stack.devnet.produceBlock();
    await expect.poll(async () => (await settlements().payerState(address)).unconfirmedMicro, { timeout: 10_000 }).toBe(0n);
    await scheme.disconnect();
  });

  it("the cap holds under 50 concurrent payments of one payer", async () => {
    const { scheme, address } = await newScheme(10_000_000n);
    const headers: string[] = [];
    for (let i = 0; i < 50; i++) {
      const pr = await paymentRequiredOf(url());
      headers.push(headerOf(await signedPayload(scheme, pr, pr.accepts[0]!)));
    }
    const capRefusedBefore = await metric("gate402_x402_settlements_total", 'result="refused_cap"');
    const results = await Promise.all(
      headers.map(async (h) => {
        const res = await fetch(url(), { headers: { "payment-signature": h } });
        return { status: res.status, error: res.status === 200 ? undefined : ((await res.json()).error as string) };
      }),
    );
    const allowed = results.filter((r) => r.status === 200).length;
    expect(results.every((r) => r.status === 200 || r.status === 402)).toBe(true);
    expect(allowed).toBeGreaterThanOrEqual(1);
    expect(allowed * Number(PRICE)).toBeLessThanOrEqual(Number(CAP));
    // Only the allowed ones count against the cap; refusals and CheckTx-refused txs left nothing behind.
    expect((await settlements().payerState(address)).unconfirmedMicro).toBe(BigInt(allowed) * PRICE);
    expect((await metric("gate402_x402_settlements_total", 'result="refused_cap"')) - capRefusedBefore).toBeGreaterThanOrEqual(
      50 - 5 - results.filter((r) => r.error === "PAYMENT_NOT_FOUND").length,
    );
    const paidBefore = stack.devnet.balance(stack.payTo);
    await stack.devnet.produceBlock();
    expect(stack.devnet.balance(stack.payTo) - paidBefore).toBe(BigInt(allowed) * PRICE);
    await expect.poll(async () => (await settlements().payerState(address)).unconfirmedMicro, { timeout: 10_000 }).toBe(0n);
    await scheme.disconnect();
  });

  it("a price above GATEWAY_X402_CONFIRM_ABOVE is allowed only once the tx is included, outside the cap", async () => {
    const { scheme, address } = await newScheme(10_000_000n);
    const big = `${stack.gw.httpUrl}/ext-authz/api/big`;
    let answered = false;
    const pending = pay(scheme, big).finally(() => {
      answered = true;
    });
    // No block yet: the request waits for inclusion instead of being allowed.
    await new Promise((r) => setTimeout(r, 700));
    expect(answered).toBe(false);
    const confirmedBefore = await metric("gate402_x402_settlements_total", 'result="confirmed"');
    await stack.devnet.produceBlock();
    expect(await pending).toEqual({ status: 200, error: undefined });
    expect(await metric("gate402_x402_settlements_total", 'result="confirmed"')).toBe(confirmedBefore + 1);
    expect(await settlements().payerState(address)).toEqual({ unconfirmedMicro: 0n, blocked: false });
    await scheme.disconnect();
  });

  it("an @x402/fetch client refused at the cap pays again after a block: the refused tx's sequence is reused", async () => {
    const signer = await DirectSecp256k1HdWallet.generate(12, { prefix: "neutaro" });
    const [acc] = await signer.getAccounts();
    stack.devnet.fund(acc!.address, 10_000_000n);
    const payer = await x402Payer({ rpcUrl: stack.devnet.rpcUrl, mnemonic: "", signer, network: `cosmos:${stack.devnet.chainId}` });
    for (let i = 0; i < 5; i++) expect((await payer.fetch(url())).status).toBe(200);
    const refused = await payer.fetch(url());
    expect(refused.status).toBe(402);
    expect((await refused.json()).error).toBe("SETTLEMENT_REFUSED");
    await stack.devnet.produceBlock();
    await expect.poll(async () => (await settlements().payerState(acc!.address)).unconfirmedMicro, { timeout: 10_000 }).toBe(0n);
    expect((await payer.fetch(url())).status).toBe(200);
  });
});
