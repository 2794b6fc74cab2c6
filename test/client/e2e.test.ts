/**
 * The agent SDK against the real product: gate402 (gRPC Check), the Neutaro devnet and Postgres, with a
 * small Envoy-like resource server in front. Every payment is a real signed MsgSend.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  cosmjsPayer,
  createPaidFetch,
  fileStore,
  memoryStore,
  PolicyViolationError,
  type CosmjsPayer,
  type SpendingPolicy,
} from "../../src/client/index.js";
import { runExampleAgent } from "../../src/client/example-agent.js";
import { startPaidResource, type PaidResource } from "../support/paid-resource.js";
import { startStack, type Stack } from "../support/stack.js";

let stack: Stack;
let api: PaidResource;
let dir: string;
const payers: CosmjsPayer[] = [];
const PRICE = 1000n; // GATEWAY_DEFAULT_PRICE 0.001

beforeAll(async () => {
  stack = await startStack({ env: { GATEWAY_ROUTES: "/api/free/*=0" } });
  api = await startPaidResource(`127.0.0.1:${stack.gw.grpcPort}`, stack.gw.httpUrl);
  dir = await mkdtemp(join(tmpdir(), "gate402-client-"));
});
afterAll(async () => {
  for (const p of payers) p.disconnect();
  await api?.close();
  await stack?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A payer for devnet wallet n (each test its own wallet, so balance deltas are exact). */
function walletPayer(n: number): CosmjsPayer {
  const p = cosmjsPayer({
    mnemonic: stack.devnet.wallets[n]!.mnemonic,
    rpc: stack.devnet.rpcUrl,
    chainId: stack.devnet.chainId,
    gasPrice: "0.025uneutaro",
    pollIntervalMs: 100,
  });
  payers.push(p);
  return p;
}
const policy = (o: Partial<SpendingPolicy> = {}): SpendingPolicy => ({
  maxPerRequest: "0.01",
  maxPerDay: "1",
  allowedPayTo: [stack.payTo],
  allowedHosts: ["127.0.0.1"],
  allowedNetworks: [`cosmos:${stack.devnet.chainId}`],
  ...o,
});
const balanceOf = (n: number) => stack.devnet.balance(stack.devnet.wallets[n]!.address);
/** What wallet n has spent since `before`, once the server-broadcast txs are included. */
const spentBy = (n: number, before: bigint, expected: bigint) =>
  expect.poll(() => before - balanceOf(n), { timeout: 10_000 }).toBe(expected);
/** The x402 v2 PaymentPayload the API saw last. */
const lastPayload = () => JSON.parse(Buffer.from(api.seen.at(-1)!.paymentSignature!, "base64").toString("utf8"));

describe("paidFetch against gate402 on the devnet", () => {
  it("pays a 402 once, retries with the proof and returns the API's answer with PAYMENT-RESPONSE", async () => {
    const payer = walletPayer(2);
    const before = balanceOf(2);
    const paidFetch = createPaidFetch({ payer, policy: policy(), store: memoryStore() });
    const res = await paidFetch(`${api.url}/api/data?x=1`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true, path: "/api/data?x=1" });
    const settlement = JSON.parse(Buffer.from(res.headers.get("payment-response")!, "base64").toString());
    const [receipt] = await paidFetch.exportReceipts();
    expect(settlement).toMatchObject({ success: true, transaction: receipt!.txHash, payer: await payer.address() });
    expect(receipt).toMatchObject({ kind: "invoice", status: "redeemed", amountMicro: "1000", payTo: stack.payTo, method: "GET" });
    // gate402's 402 carries x402 v2: the SDK signed without broadcasting and sent PAYMENT-SIGNATURE.
    expect(api.seen.at(-1)!.proof).toBeUndefined();
    expect(lastPayload()).toMatchObject({
      x402Version: 2,
      accepted: { scheme: "exact", extra: { invoiceId: receipt!.invoiceId } },
      payload: { signedTx: receipt!.signedTx },
    });
    await spentBy(2, before, PRICE + payer.feeMicro);
  });

  it('x402Payload "txHash": pays on chain first and sends {txHash, invoiceId} in PAYMENT-SIGNATURE', async () => {
    const payer = walletPayer(8);
    const before = balanceOf(8);
    const paidFetch = createPaidFetch({ payer, policy: policy(), store: memoryStore(), x402Payload: "txHash" });
    const res = await paidFetch(`${api.url}/api/data?x=2`);
    expect(res.status).toBe(200);
    const [receipt] = await paidFetch.exportReceipts();
    expect(receipt).toMatchObject({ status: "redeemed", proofHeader: "payment-signature" });
    expect(lastPayload().payload).toEqual({ txHash: receipt!.txHash, invoiceId: receipt!.invoiceId });
    expect(before - balanceOf(8)).toBe(PRICE + payer.feeMicro);
  });

  it("a POST body is sent again on the retry", async () => {
    const paidFetch = createPaidFetch({ payer: walletPayer(2), policy: policy(), store: memoryStore() });
    const res = await paidFetch(`${api.url}/api/write`, {
      method: "POST",
      body: JSON.stringify({ hello: "world" }),
      headers: { "content-type": "application/json" },
    });
    expect(await res.json()).toMatchObject({ ok: true, method: "POST", body: '{"hello":"world"}' });
    expect(api.seen.slice(-2).map((s) => s.body)).toEqual(['{"hello":"world"}', '{"hello":"world"}']);
  });

  it.each([
    ["PER_REQUEST_CAP", { maxPerRequest: "0.000999" }],
    ["DAILY_CAP", { maxPerDay: "0.0005" }],
    ["PAYTO_NOT_ALLOWED", { allowedPayTo: ["neutaro1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc5a3zv5v"] }],
    ["HOST_NOT_ALLOWED", { allowedHosts: ["api.example.com"] }],
    ["NETWORK_NOT_ALLOWED", { allowedNetworks: ["cosmos:Neutaro-1"] }],
    ["DENIED_BY_APPROVER", { approveAbove: "0.0005", approve: async () => false }],
  ] as const)("the policy refuses with %s and the wallet does not move", async (code, override) => {
    const before = balanceOf(3);
    const paidFetch = createPaidFetch({ payer: walletPayer(3), policy: policy(override), store: memoryStore() });
    const err = await paidFetch(`${api.url}/api/data`).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PolicyViolationError);
    expect((err as PolicyViolationError).code).toBe(code);
    await stack.devnet.waitForHeight(stack.devnet.height() + 2);
    expect(balanceOf(3)).toBe(before);
    expect(await paidFetch.exportReceipts()).toEqual([]);
  });

  it("20 concurrent calls under a per-hour cap of 5 prices make exactly 5 payments", async () => {
    const payer = walletPayer(4);
    const before = balanceOf(4);
    const paidFetch = createPaidFetch({ payer, policy: policy({ maxPerHour: "0.005" }), store: fileStore(join(dir, "concurrent.json")) });
    const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => paidFetch(`${api.url}/api/data?i=${i}`)));
    const ok = results.filter((r) => r.status === "fulfilled" && r.value.status === 200);
    const refused = results.filter((r) => r.status === "rejected");
    expect(ok).toHaveLength(5);
    expect(refused).toHaveLength(15);
    for (const r of refused) expect((r as PromiseRejectedResult).reason).toMatchObject({ code: "HOURLY_CAP" });
    const receipts = await paidFetch.exportReceipts();
    expect(new Set(receipts.map((r) => r.txHash)).size).toBe(5);
    await spentBy(4, before, 5n * (PRICE + payer.feeMicro));
  });

  it("a crash after paying and before the retry: the restarted agent presents the stored proof and pays nothing more", async () => {
    const payer = walletPayer(5);
    const before = balanceOf(5);
    const path = join(dir, "crash.json");
    let crashed = false;
    const crashingFetch: typeof fetch = async (input, init) => {
      if (!crashed && new Headers(init?.headers).has("payment-signature")) {
        crashed = true;
        throw new Error("simulated crash before the retry");
      }
      return fetch(input, init);
    };
    const first = createPaidFetch({ payer, policy: policy(), store: fileStore(path), fetch: crashingFetch });
    await expect(first(`${api.url}/api/report`, { idempotencyKey: "report-42" })).rejects.toThrow("simulated crash");
    expect((await first.exportReceipts()).map((r) => r.status)).toEqual(["unredeemed"]);

    const restarted = createPaidFetch({ payer, policy: policy(), store: fileStore(path) });
    const res = await restarted(`${api.url}/api/report`, { idempotencyKey: "report-42" });
    expect(res.status).toBe(200);
    const receipts = await restarted.exportReceipts();
    expect(receipts).toHaveLength(1);
    expect(receipts[0]!.status).toBe("redeemed");
    expect(lastPayload().payload.signedTx).toBe(receipts[0]!.signedTx);
    await spentBy(5, before, PRICE + payer.feeMicro);
  });

  it("prepaid: the first call tops up the account's deposit memo, later calls spend the balance without paying", async () => {
    const account = await (await fetch(`${stack.gw.httpUrl}/prepaid/accounts`, { method: "POST" })).json();
    const payer = walletPayer(6);
    const before = balanceOf(6);
    const paidFetch = createPaidFetch({
      payer,
      policy: policy(),
      store: memoryStore(),
      prepaid: { clientId: account.clientId, key: account.clientKey, topUpMicro: "0.003" },
    });
    for (let i = 0; i < 3; i++) {
      const res = await paidFetch(`${api.url}/api/data?n=${i}`);
      expect(res.status).toBe(200);
      expect(res.headers.get("x-prepaid-balance")).toBe(["0.002000", "0.001000", "0.000000"][i]);
    }
    const receipts = await paidFetch.exportReceipts();
    expect(receipts).toHaveLength(1);
    expect(receipts[0]).toMatchObject({
      kind: "deposit",
      clientId: account.clientId,
      memo: account.depositMemo,
      amountMicro: "3000",
      status: "redeemed",
    });
    expect(before - balanceOf(6)).toBe(3000n + payer.feeMicro);
    // The fourth call finds the balance empty and tops up again, under the same policy.
    expect((await paidFetch(`${api.url}/api/data?n=3`)).status).toBe(200);
    expect(await paidFetch.exportReceipts()).toHaveLength(2);
  });

  it("prepaid: the policy applies to the top-up amount", async () => {
    const account = await (await fetch(`${stack.gw.httpUrl}/prepaid/accounts`, { method: "POST" })).json();
    const before = balanceOf(6);
    const paidFetch = createPaidFetch({
      payer: walletPayer(6),
      policy: policy({ maxPerRequest: "0.002" }),
      store: memoryStore(),
      prepaid: { clientId: account.clientId, key: account.clientKey, topUpMicro: 5000n },
    });
    await expect(paidFetch(`${api.url}/api/data`)).rejects.toMatchObject({ code: "PER_REQUEST_CAP" });
    expect(balanceOf(6)).toBe(before);
  });

  it("the example agent stops at its daily cap", async () => {
    const lines: string[] = [];
    const before = balanceOf(7);
    const summary = await runExampleAgent(
      {
        GATE402_URL: `${api.url}/api/data`,
        RPC: stack.devnet.rpcUrl,
        MNEMONIC: stack.devnet.wallets[7]!.mnemonic,
        CHAIN_ID: stack.devnet.chainId,
        MAX_PER_DAY: "0.004",
        STATE_FILE: join(dir, "agent.json"),
        ALLOWED_PAYTO: stack.payTo,
      },
      (l) => lines.push(l),
    );
    expect(summary).toMatchObject({ paid: 4, stoppedBy: "DAILY_CAP" });
    await spentBy(7, before, 4n * (PRICE + 5000n));
    expect(lines.some((l) => l.includes("DAILY_CAP"))).toBe(true);
  });
});
