/**
 * Several assets end to end (issue 13): the primary devnet (uneutaro, plus an IBC voucher its wallets
 * hold) and a second devnet chain (Devnet-2, prefix cosmos, uatom), real @cosmjs signed transactions on
 * both, real Postgres, the payment watcher on. Routes are priced per asset in the routes file.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import { GasPrice, SigningStargateClient } from "@cosmjs/stargate";
import { startDevnet, type Devnet } from "@gate402/devnet";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectPayer, type DemoPayer } from "../../src/demo/payer.js";
import { deniedBody, deniedHeaders, envoyCheck, httpStatus, okResponseHeaders } from "../support/check-request.js";
import { checkClient, type ExtAuthzClient } from "../support/extauthz-client.js";
import { startStack, type Stack } from "../support/stack.js";
import { waitUntil } from "../watcher/helpers.js";

const IBC_ATOM = "ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2";
const SECOND = { chainId: "Devnet-2", prefix: "cosmos", denom: "uatom" };
const NETWORK_2 = `cosmos:${SECOND.chainId}`;
const ROUTES = `routes:
  - { pattern: "/api/ibc", prices: { "${IBC_ATOM}": "0.002" } }
  - { pattern: "/api/two", price: "0.001", prices: { "${IBC_ATOM}": "0.003" } }
  - { pattern: "/api/remote", prices: { uatom: "0.0025" } }
  - { pattern: "/api/both-chains", price: "0.001", prices: { uatom: "0.004" } }
`;

let stack: Stack;
let b: Devnet;
let client: ExtAuthzClient;
let ibcPayer: DemoPayer;
let remote: { address: string; send(to: string, amount: bigint, memo: string): Promise<string>; close(): void };
let network1: string;

/** A @cosmjs signer on the second chain (prefix cosmos, fees in uatom). */
async function remotePayer(chain: Devnet, w: number): Promise<typeof remote> {
  const wallet = await DirectSecp256k1HdWallet.fromMnemonic(chain.wallets[w]!.mnemonic, { prefix: SECOND.prefix });
  const c = await SigningStargateClient.connectWithSigner(chain.rpcUrl, wallet, {
    gasPrice: GasPrice.fromString(`0.025${SECOND.denom}`),
    broadcastPollIntervalMs: 100,
  });
  const from = chain.wallets[w]!.address;
  const fee = { amount: [{ denom: SECOND.denom, amount: "5000" }], gas: "200000" };
  return {
    address: from,
    async send(to, amount, memo) {
      const res = await c.sendTokens(from, to, [{ denom: SECOND.denom, amount: amount.toString() }], fee, memo);
      expect(res.code).toBe(0);
      return res.transactionHash.toUpperCase();
    },
    close: () => c.disconnect(),
  };
}

beforeAll(async () => {
  b = await startDevnet({ ...SECOND, blockTimeMs: 200, accounts: 3 });
  const dir = mkdtempSync(join(tmpdir(), "gate402-assets-"));
  writeFileSync(join(dir, "routes.yaml"), ROUTES);
  const net2 = { id: NETWORK_2, rpc: [b.rpcUrl], bech32Prefix: SECOND.prefix, payTo: b.wallets[0]!.address, denom: SECOND.denom };
  stack = await startStack({
    devnet: { extraDenoms: [IBC_ATOM] },
    env: {
      GATEWAY_NETWORKS: JSON.stringify([net2]),
      GATEWAY_ROUTES_FILE: join(dir, "routes.yaml"),
      GATEWAY_CHAIN_TIMEOUT_MS: "400",
      GATEWAY_WATCHER_POLL_MS: "50",
      GATEWAY_WATCHER_LEASE_POLL_MS: "200",
      GATEWAY_RPC_HEALTH_MS: "0",
      // the chain id is known only once the devnet runs: filled below
      GATEWAY_ASSETS: "",
    },
    envFrom: (devnet) => ({
      GATEWAY_ASSETS: JSON.stringify([
        { network: `cosmos:${devnet.chainId}`, denom: IBC_ATOM, name: "ATOM", decimals: 6 },
        { network: NETWORK_2, denom: SECOND.denom, name: "ATOM2", decimals: 6 },
      ]),
    }),
  });
  network1 = stack.gw.config.network;
  client = checkClient(`127.0.0.1:${stack.gw.grpcPort}`);
  ibcPayer = await connectPayer(stack.devnet.rpcUrl, stack.devnet.wallets[2]!.mnemonic, IBC_ATOM, `0.025${stack.devnet.denom}`);
  remote = await remotePayer(b, 1);
});
afterAll(async () => {
  ibcPayer?.disconnect();
  remote?.close();
  client?.close();
  b?.faults.clear();
  await stack?.stop();
  await b?.stop();
});

async function quote(path: string) {
  const res = await client.check(envoyCheck({ path }));
  expect(httpStatus(res)).toBe(402);
  const v2 = JSON.parse(Buffer.from(deniedHeaders(res)["payment-required"]!, "base64").toString());
  return { body: deniedBody(res), v2 };
}
const prove = (path: string, invoiceId: string, txHash: string) =>
  client.check(envoyCheck({ path, headers: { "x-payment-proof": `${invoiceId}:${txHash}` } }));
const x402v1 = (path: string, network: string, invoiceId: string, txHash: string) => {
  const payload = { x402Version: 1, scheme: "exact", network, payload: { txHash, invoiceId } };
  return client.check(envoyCheck({ path, headers: { "x-payment": Buffer.from(JSON.stringify(payload)).toString("base64") } }));
};

describe("an IBC denom as a second asset on the primary network", () => {
  it("an invoice in the IBC denom paid in it is allowed; paid in the native denom it is INSUFFICIENT_AMOUNT", async () => {
    const { body } = await quote("/api/ibc");
    expect(body.accepts).toHaveLength(1);
    expect(body.accepts[0]).toMatchObject({ network: network1, asset: IBC_ATOM, maxAmountRequired: "2000", payTo: stack.payTo });
    expect(body.payment).toMatchObject({ denom: IBC_ATOM, currency: "ATOM", amount: "0.002000", network: network1 });
    const native = await stack.agent.send(stack.payTo, 2000n, body.payment.invoiceId);
    const refused = await prove("/api/ibc", body.payment.invoiceId, native.txHash);
    expect(httpStatus(refused)).toBe(402);
    expect(deniedBody(refused).error).toBe("INSUFFICIENT_AMOUNT");

    const again = (await quote("/api/ibc")).body;
    const paid = await ibcPayer.send(stack.payTo, 2000n, again.payment.invoiceId);
    expect(paid.code).toBe(0);
    const ok = await prove("/api/ibc", again.payment.invoiceId, paid.txHash);
    expect(httpStatus(ok)).toBe(200);
    expect(JSON.parse(Buffer.from(okResponseHeaders(ok)["payment-response"]!, "base64").toString())).toMatchObject({
      success: true,
      transaction: paid.txHash,
      network: network1,
    });
  });

  it("a route priced in two assets lists both in v1 and v2 accepts (primary first), and paying either works", async () => {
    const { body, v2 } = await quote("/api/two");
    expect(body.payment).toMatchObject({ denom: "uneutaro", currency: "NTMPI", amountMicro: "1000" });
    expect(body.accepts.map((a: { asset: string; maxAmountRequired: string }) => [a.asset, a.maxAmountRequired])).toEqual([
      ["uneutaro", "1000"],
      [IBC_ATOM, "3000"],
    ]);
    expect(
      v2.accepts.map((a: { asset: string; amount: string; network: string; payTo: string }) => [a.asset, a.amount, a.network, a.payTo]),
    ).toEqual([
      ["uneutaro", "1000", network1, stack.payTo],
      [IBC_ATOM, "3000", network1, stack.payTo],
    ]);
    const [primary, ibc] = body.accepts as { extra: { invoiceId: string } }[];
    expect(primary!.extra.invoiceId).toBe(body.payment.invoiceId);
    expect(ibc!.extra.invoiceId).not.toBe(primary!.extra.invoiceId);

    const p1 = await stack.agent.send(stack.payTo, 1000n, primary!.extra.invoiceId);
    expect(httpStatus(await prove("/api/two", primary!.extra.invoiceId, p1.txHash))).toBe(200);
    const p2 = await ibcPayer.send(stack.payTo, 3000n, ibc!.extra.invoiceId);
    const ok = await x402v1("/api/two", network1, ibc!.extra.invoiceId, p2.txHash);
    expect(httpStatus(ok)).toBe(200);
    expect(okResponseHeaders(ok)["x-payment-response"]).toBeDefined();
    // The IBC invoice's payment buys one request: replayed, it is refused.
    expect(deniedBody(await x402v1("/api/two", network1, ibc!.extra.invoiceId, p2.txHash)).error).toBe("PROOF_ALREADY_USED");
  });
});

describe("an asset on a second devnet chain", () => {
  let remoteInvoice: string;
  let remoteTx: string;

  it("an invoice on the second chain paid there is allowed; the watcher indexes both chains", async () => {
    const { body, v2 } = await quote("/api/both-chains");
    expect(body.accepts.map((a: { network: string; asset: string; payTo: string }) => [a.network, a.asset, a.payTo])).toEqual([
      [network1, "uneutaro", stack.payTo],
      [NETWORK_2, SECOND.denom, b.wallets[0]!.address],
    ]);
    expect(v2.accepts[1]).toMatchObject({ network: NETWORK_2, asset: SECOND.denom, amount: "4000", payTo: b.wallets[0]!.address });
    const inv2 = body.accepts[1].extra.invoiceId as string;
    const tx2 = await remote.send(b.wallets[0]!.address, 4000n, inv2);
    const ok = await prove("/api/both-chains", inv2, tx2);
    expect(httpStatus(ok)).toBe(200);
    expect(JSON.parse(Buffer.from(okResponseHeaders(ok)["payment-response"]!, "base64").toString())).toMatchObject({
      network: NETWORK_2,
      transaction: tx2,
      payer: remote.address,
    });
    // Status of the second chain's invoice: its network, denom and address.
    const st = await (await fetch(`${stack.gw.httpUrl}/invoices/${inv2}`)).json();
    expect(st).toMatchObject({
      status: "redeemed",
      network: NETWORK_2,
      denom: SECOND.denom,
      currency: "ATOM2",
      address: b.wallets[0]!.address,
    });
    // Both watchers recorded their chain's payments, each in its invoice's denom.
    const row = async (tx: string) =>
      (
        await stack.gw.store.pool.query("SELECT recipient, denom, amount_micro::text AS amount, status FROM payments WHERE tx_hash = $1", [
          tx,
        ])
      ).rows[0];
    await waitUntil(async () => (await row(tx2)) !== undefined, 15_000, "second-chain payment indexed");
    expect(await row(tx2)).toEqual({ recipient: b.wallets[0]!.address, denom: SECOND.denom, amount: "4000", status: "matched" });
    const { body: b1 } = await quote("/api/ibc");
    const ibcTx = await ibcPayer.send(stack.payTo, 2000n, b1.payment.invoiceId);
    await waitUntil(async () => (await row(ibcTx.txHash)) !== undefined, 15_000, "primary-chain IBC payment indexed");
    expect(await row(ibcTx.txHash)).toEqual({ recipient: stack.payTo, denom: IBC_ATOM, amount: "2000", status: "matched" });
    // Invoice only (no hash): found through the watcher's index.
    expect(httpStatus(await client.check(envoyCheck({ path: "/api/ibc", headers: { "x-payment-proof": b1.payment.invoiceId } })))).toBe(
      200,
    );
  });

  it("a route priced only on the second chain: its 402 names that chain, and paid there it is allowed", async () => {
    const { body } = await quote("/api/remote");
    expect(body.accepts).toHaveLength(1);
    expect(body.payment).toMatchObject({ network: NETWORK_2, denom: SECOND.denom, amountMicro: "2500", address: b.wallets[0]!.address });
    remoteInvoice = body.payment.invoiceId;
    remoteTx = await remote.send(b.wallets[0]!.address, 2500n, remoteInvoice);
    // A second paid invoice kept for the outage test below.
    const spare = (await quote("/api/remote")).body.payment.invoiceId as string;
    const spareTx = await remote.send(b.wallets[0]!.address, 2500n, spare);
    expect(httpStatus(await prove("/api/remote", remoteInvoice, remoteTx))).toBe(200);
    remoteInvoice = spare;
    remoteTx = spareTx;
  });

  it("the second chain down: its payments answer 503, the primary chain's payment is allowed", async () => {
    const reg = stack.gw.networks;
    await waitUntil(() => reg.available(NETWORK_2), 10_000, "second network available");
    const { body } = await quote("/api/two");
    const primaryPaid = await stack.agent.send(stack.payTo, 1000n, body.payment.invoiceId);
    b.faults.set({ drop: true });
    try {
      await waitUntil(() => !reg.available(NETWORK_2), 10_000, "second network unavailable");
      const down = await prove("/api/remote", remoteInvoice, remoteTx);
      expect(httpStatus(down)).toBe(503);
      expect(deniedBody(down).error).toBe("CHAIN_UNAVAILABLE");
      const up = await prove("/api/two", body.payment.invoiceId, primaryPaid.txHash);
      expect(httpStatus(up)).toBe(200);
      // A 402 still offers both chains (issuing needs no chain call).
      expect((await quote("/api/both-chains")).body.accepts).toHaveLength(2);
    } finally {
      b.faults.clear();
    }
    await waitUntil(() => reg.available(NETWORK_2), 10_000, "second network available again");
    expect(httpStatus(await prove("/api/remote", remoteInvoice, remoteTx))).toBe(200);
  });
});
