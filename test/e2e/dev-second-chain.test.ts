/**
 * `gate402 dev --second-chain`: the dev stack starts a second devnet chain (its own chain id, bech32
 * prefix and denom) and accepts payments on it through GATEWAY_NETWORKS; a signed payment there is
 * recorded by that network's watcher.
 */
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import { SigningStargateClient } from "@cosmjs/stargate";
import { afterAll, beforeAll, expect, it } from "vitest";
import { SECOND_CHAIN, startDevStack, type DevStack } from "../../src/cli/dev-stack.js";
import { freshDatabase, type TestDatabase } from "../support/db.js";

let db: TestDatabase;
let stack: DevStack;
beforeAll(async () => {
  db = await freshDatabase();
  stack = await startDevStack({
    ephemeral: true,
    secondChain: true,
    env: { DATABASE_URL: db.url, LOG_LEVEL: "silent" },
    defaultLogLevel: "silent",
  });
}, 120_000);
afterAll(async () => {
  await stack?.stop();
  await db?.drop();
});

it("starts the second chain and configures it as an additional network whose watcher records payments", async () => {
  const second = stack.second!;
  expect(second).toMatchObject({ chainId: SECOND_CHAIN.chainId, denom: SECOND_CHAIN.denom });
  expect(second.wallets[0]!.address).toMatch(/^cosmos1/);
  expect(stack.gw.config.networks.map((n) => [n.id, n.payTo, n.denom])).toEqual([
    [`cosmos:${stack.devnet.chainId}`, stack.devnet.wallets[0]!.address, "uneutaro"],
    [`cosmos:${SECOND_CHAIN.chainId}`, second.wallets[0]!.address, SECOND_CHAIN.denom],
  ]);
  const wallet = await DirectSecp256k1HdWallet.fromMnemonic(second.wallets[1]!.mnemonic, { prefix: SECOND_CHAIN.prefix });
  const client = await SigningStargateClient.connectWithSigner(second.rpcUrl, wallet, { broadcastPollIntervalMs: 100 });
  try {
    const fee = { amount: [{ denom: SECOND_CHAIN.denom, amount: "5000" }], gas: "200000" };
    const res = await client.sendTokens(
      second.wallets[1]!.address,
      second.wallets[0]!.address,
      [{ denom: SECOND_CHAIN.denom, amount: "777" }],
      fee,
      "hello",
    );
    const tx = res.transactionHash.toUpperCase();
    const row = async () =>
      (await stack.gw.store.pool.query("SELECT denom, amount_micro::text AS amount FROM payments WHERE tx_hash = $1", [tx])).rows[0];
    await expect.poll(row, { timeout: 20_000, interval: 100 }).toEqual({ denom: SECOND_CHAIN.denom, amount: "777" });
  } finally {
    client.disconnect();
  }
  const health = (await (await fetch(`${stack.gw.httpUrl}/health`)).json()) as { networks: { id: string; available: boolean }[] };
  expect(health.networks.map((n) => n.id)).toEqual([`cosmos:${stack.devnet.chainId}`, `cosmos:${SECOND_CHAIN.chainId}`]);
});
