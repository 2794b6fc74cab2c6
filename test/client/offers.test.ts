/**
 * The SDK buying and reusing bundles and passes against the real product: gate402 (gRPC Check), the
 * Neutaro devnet (real signed MsgSends) and Postgres, behind a small Envoy-like resource server.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cosmjsPayer, createPaidFetch, memoryStore, type CosmjsPayer, type SpendingPolicy } from "../../src/client/index.js";
import { startPaidResource, type PaidResource } from "../support/paid-resource.js";
import { startStack, type Stack } from "../support/stack.js";

const ROUTES = `routes:
  - id: search
    method: GET
    pattern: /api/search/*
    price: "0.001"
    bundles: "5=0.004"
    scope: api
    passes: [{ seconds: 3600, price: "0.02" }]
  - id: items
    pattern: /api/items/*
    price: "0.001"
    bundles: "5=0.004"
    scope: api
`;

let stack: Stack;
let api: PaidResource;
let dir: string;
const payers: CosmjsPayer[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "gate402-sdk-offers-"));
  writeFileSync(join(dir, "routes.yaml"), ROUTES);
  stack = await startStack({ env: { GATEWAY_ROUTES_FILE: join(dir, "routes.yaml") } });
  api = await startPaidResource(`127.0.0.1:${stack.gw.grpcPort}`, stack.gw.httpUrl);
}, 60_000);
afterAll(async () => {
  for (const p of payers) p.disconnect();
  await api?.close();
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function walletPayer(n: number): CosmjsPayer & { count: () => number } {
  const p = cosmjsPayer({
    mnemonic: stack.devnet.wallets[n]!.mnemonic,
    rpc: stack.devnet.rpcUrl,
    chainId: stack.devnet.chainId,
    gasPrice: "0.025uneutaro",
    pollIntervalMs: 100,
  });
  payers.push(p);
  let count = 0;
  // A payment is a broadcast (pay) or a transaction signed for the server to broadcast (x402 v2 sign).
  return Object.assign(Object.create(p) as CosmjsPayer, {
    pay: (o: Parameters<CosmjsPayer["pay"]>[0]) => (count++, p.pay(o)),
    sign: (o: Parameters<NonNullable<CosmjsPayer["sign"]>>[0]) => (count++, p.sign!(o)),
    count: () => count,
  });
}
const policy = (o: Partial<SpendingPolicy> = {}): SpendingPolicy => ({
  maxPerRequest: "0.05",
  maxPerDay: "1",
  allowedPayTo: [stack.payTo],
  allowedHosts: ["127.0.0.1"],
  allowedNetworks: [`cosmos:${stack.devnet.chainId}`],
  ...o,
});
const balanceOf = (n: number) => stack.devnet.balance(stack.devnet.wallets[n]!.address);

describe("createPaidFetch with offers", () => {
  it("prefer bundle: 12 calls cost 3 payments of a bundle of 5; receipts record uses", async () => {
    const payer = walletPayer(3);
    const before = balanceOf(3);
    const paidFetch = createPaidFetch({ payer, policy: policy(), store: memoryStore(), prefer: "bundle" });
    for (let i = 0; i < 12; i++) {
      const res = await paidFetch(`${api.url}/api/search/${i}`);
      expect(res.status).toBe(200);
    }
    expect(payer.count()).toBe(3);
    const receipts = await paidFetch.exportReceipts();
    expect(receipts.map((r) => [r.offer, r.uses, r.used, r.amountMicro, r.status])).toEqual([
      ["bundle", 5, 5, "4000", "redeemed"],
      ["bundle", 5, 5, "4000", "redeemed"],
      ["bundle", 5, 2, "4000", "redeemed"],
    ]);
    expect(before - balanceOf(3)).toBe(3n * (4000n + payer.feeMicro));
  });

  it("prefer pass: 100 calls across the scope's routes cost 1 payment", async () => {
    const payer = walletPayer(4);
    const paidFetch = createPaidFetch({ payer, policy: policy(), store: memoryStore(), prefer: "pass" });
    for (let i = 0; i < 100; i++) {
      const res = await paidFetch(`${api.url}/api/${i % 2 ? "search" : "items"}/${i}`);
      expect(res.status).toBe(200);
    }
    expect(payer.count()).toBe(1);
    const [receipt] = await paidFetch.exportReceipts();
    expect(receipt).toMatchObject({ offer: "pass", scope: "api", amountMicro: "20000", used: 100, status: "redeemed" });
    expect(api.seen.at(-1)!.proof).toBeUndefined();
  });

  it("caps apply to the amount actually paid: a bundle above maxPerRequest falls back to single requests", async () => {
    const payer = walletPayer(5);
    const paidFetch = createPaidFetch({ payer, policy: policy({ maxPerRequest: "0.003" }), store: memoryStore(), prefer: "bundle" });
    for (let i = 0; i < 2; i++) expect((await paidFetch(`${api.url}/api/search/${i}`)).status).toBe(200);
    expect(payer.count()).toBe(2);
    expect((await paidFetch.exportReceipts()).map((r) => [r.offer, r.amountMicro])).toEqual([
      [undefined, "1000"],
      [undefined, "1000"],
    ]);
  });

  it("after a restart (same receipt store) a held bundle and a held pass are used again, not paid again", async () => {
    const store = memoryStore();
    const payer = walletPayer(7);
    const beforeRestart = createPaidFetch({ payer, policy: policy(), store, prefer: "bundle" });
    for (let i = 0; i < 2; i++) expect((await beforeRestart(`${api.url}/api/items/r${i}`)).status).toBe(200);
    const afterRestart = createPaidFetch({ payer, policy: policy(), store, prefer: "bundle" });
    for (let i = 2; i < 5; i++) expect((await afterRestart(`${api.url}/api/items/r${i}`)).status).toBe(200);
    expect(payer.count()).toBe(1);
    expect((await afterRestart(`${api.url}/api/items/r5`)).status).toBe(200);
    expect(payer.count()).toBe(2);

    const passStore = memoryStore();
    const passPayer = walletPayer(8);
    const first = createPaidFetch({ payer: passPayer, policy: policy(), store: passStore, prefer: "pass" });
    expect((await first(`${api.url}/api/search/p0`)).status).toBe(200);
    const second = createPaidFetch({ payer: passPayer, policy: policy(), store: passStore, prefer: "pass" });
    for (let i = 1; i <= 10; i++) expect((await second(`${api.url}/api/search/p${i}`)).status).toBe(200);
    expect(passPayer.count()).toBe(1);
    expect((await second.exportReceipts())[0]).toMatchObject({ offer: "pass", used: 11 });
  });

  it("a bundle held for one route is not spent on another: that route gets its own payment", async () => {
    const payer = walletPayer(6);
    const paidFetch = createPaidFetch({ payer, policy: policy(), store: memoryStore(), prefer: "bundle" });
    expect((await paidFetch(`${api.url}/api/search/a`)).status).toBe(200);
    expect((await paidFetch(`${api.url}/api/items/a`)).status).toBe(200);
    expect((await paidFetch(`${api.url}/api/search/b`)).status).toBe(200);
    expect((await paidFetch(`${api.url}/api/items/b`)).status).toBe(200);
    expect(payer.count()).toBe(2);
  });
});
