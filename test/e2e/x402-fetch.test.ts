/**
 * Unmodified @x402/fetch (wrapFetchWithPayment) with gate402/x402's registerExactCosmosScheme pays
 * gate402 on the devnet with the signed-transaction payload: through the Envoy http_service mode
 * (/ext-authz/*) and through Caddy (forward_auth). One payment per call; a replayed payload is refused
 * and broadcast at most once.
 */
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import { decodePaymentResponseHeader } from "@x402/core/http";
import { ExactCosmosScheme } from "../../src/x402/index.js";
import { paymentRequiredOf } from "../support/x402-payloads.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireCaddy, startCaddy, type CaddyProxy } from "../support/caddy.js";
import { startStack, type Stack } from "../support/stack.js";
import { recordingUpstream, type RecordingUpstream } from "../support/upstream.js";
import { x402Payer, type X402Payer } from "../support/x402.js";

let stack: Stack;
let payer: X402Payer;
let upstream: RecordingUpstream;
let caddy: CaddyProxy;
let network: string;

beforeAll(async () => {
  requireCaddy();
  stack = await startStack({ env: { GATEWAY_ROUTES: "GET /api/data=0.001", GATEWAY_X402_CONFIRMER_MS: "100" } });
  network = `cosmos:${stack.devnet.chainId}`;
  payer = await x402Payer({ rpcUrl: stack.devnet.rpcUrl, mnemonic: stack.devnet.wallets[3]!.mnemonic, network });
  upstream = await recordingUpstream();
  caddy = await startCaddy({ gatePort: stack.gw.httpPort, upstreamPort: upstream.port });
});
afterAll(async () => {
  await caddy?.stop();
  await upstream?.close();
  await payer?.close();
  await stack?.stop();
});

async function metric(name: string, labels: string): Promise<number> {
  const text = await stack.gw.metrics.registry.metrics();
  const line = text.split("\n").find((l) => l.startsWith(`${name}{${labels}}`));
  return line ? Number(line.split(" ").at(-1)) : 0;
}

describe("@x402/fetch pays gate402 with a signed transaction", () => {
  it("through /ext-authz: 402 → signed MsgSend → 200 with a PAYMENT-RESPONSE @x402/core decodes; the watcher-side confirmer confirms it", async () => {
    const before = stack.devnet.balance(stack.payTo);
    const res = await payer.fetch(`${stack.gw.httpUrl}/ext-authz/api/data`);
    expect(res.status).toBe(200);
    expect(payer.payloads).toHaveLength(1);
    expect(payer.payloads[0]!.payload).toHaveProperty("signedTx");
    const receipt = decodePaymentResponseHeader(res.headers.get("payment-response")!);
    expect(receipt).toMatchObject({ success: true, network, payer: payer.address });
    expect(receipt.transaction).toMatch(/^[0-9A-F]{64}$/);
    // The allow came before the block: the payment lands afterwards, exactly once.
    await expect.poll(() => stack.devnet.balance(stack.payTo) - before, { timeout: 10_000 }).toBe(1000n);
    await expect.poll(() => metric("gate402_x402_settlement_outcomes_total", 'outcome="confirmed"'), { timeout: 10_000 }).toBe(1);
    const tx = await stack.gw.chain.chain.getTx(receipt.transaction);
    expect(tx?.code).toBe(0);
  });

  it("a second call pays again (single use): a new invoice and a new transaction", async () => {
    const first = payer.payloads.length;
    const a = await payer.fetch(`${stack.gw.httpUrl}/ext-authz/api/data`);
    const b = await payer.fetch(`${stack.gw.httpUrl}/ext-authz/api/data`);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(payer.payloads).toHaveLength(first + 2);
    const [ta, tb] = [a, b].map((r) => decodePaymentResponseHeader(r.headers.get("payment-response")!).transaction);
    expect(ta).not.toBe(tb);
  });

  it("the same signed payload replayed → 402 PROOF_ALREADY_USED, broadcast once", async () => {
    const optimisticBefore = await metric("gate402_x402_settlements_total", 'result="optimistic"');
    const refusedBefore = await metric("gate402_x402_settlements_total", 'result="checktx_refused"');
    const res = await payer.fetch(`${stack.gw.httpUrl}/ext-authz/api/data`);
    expect(res.status).toBe(200);
    const header = payer.header(payer.payloads.at(-1)!);
    const replays = await Promise.all(
      [1, 2, 3].map(() => fetch(`${stack.gw.httpUrl}/ext-authz/api/data`, { headers: { "payment-signature": header } })),
    );
    for (const r of replays) {
      expect(r.status).toBe(402);
      expect((await r.json()).error).toBe("PROOF_ALREADY_USED");
    }
    expect(await metric("gate402_x402_settlements_total", 'result="optimistic"')).toBe(optimisticBefore + 1);
    expect(await metric("gate402_x402_settlements_total", 'result="checktx_refused"')).toBe(refusedBefore);
  });

  it("X-PAYMENT (x402 v1 shape) carrying the signed payload also pays, answered with X-PAYMENT-RESPONSE", async () => {
    const signer = await DirectSecp256k1HdWallet.fromMnemonic(stack.devnet.wallets[5]!.mnemonic, { prefix: "neutaro" });
    const scheme = new ExactCosmosScheme({ signer, rpc: stack.devnet.rpcUrl });
    const pr = await paymentRequiredOf(`${stack.gw.httpUrl}/ext-authz/api/data`);
    const { payload } = await scheme.createPaymentPayload(1, pr.accepts[0]!);
    const v1 = Buffer.from(JSON.stringify({ x402Version: 1, scheme: "exact", network, payload })).toString("base64");
    const res = await fetch(`${stack.gw.httpUrl}/ext-authz/api/data`, { headers: { "x-payment": v1 } });
    expect(res.status).toBe(200);
    expect(JSON.parse(Buffer.from(res.headers.get("x-payment-response")!, "base64").toString())).toMatchObject({
      success: true,
      network,
      payer: (await signer.getAccounts())[0]!.address,
    });
    await scheme.disconnect();
  });

  it("through Caddy forward_auth: 200 from the upstream, once per payment, receipt passed to the client", async () => {
    const seen = upstream.seen.length;
    const res = await payer.fetch(`${caddy.url}/api/data`);
    expect(res.status).toBe(200);
    expect(upstream.seen.length).toBe(seen + 1);
    const last = upstream.seen.at(-1)!;
    expect(last.headers["payment-signature"]).toBeUndefined();
    expect(last.headers["x-gate402-paid-by"]).toBe("invoice");
    expect(decodePaymentResponseHeader(res.headers.get("payment-response")!)).toMatchObject({ success: true, payer: payer.address });
  });
});
