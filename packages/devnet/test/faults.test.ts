import { Tendermint37Client } from "@cosmjs/tendermint-rpc";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Devnet } from "../src/index.js";
import { DENOM, FIXED_FEE, queryClient, rpc, signerFor, startTestDevnet, type Signer } from "./helpers.js";

describe("devnet fault injection", () => {
  let devnet: Devnet;
  let tm: Tendermint37Client;
  let alice: Signer;

  beforeAll(async () => {
    devnet = await startTestDevnet({ blockTimeMs: 0 });
    tm = await Tendermint37Client.connect(devnet.rpcUrl);
    alice = await signerFor(devnet, 0);
  });
  afterAll(async () => {
    tm?.disconnect();
    alice?.client.disconnect();
    await devnet?.stop();
  });

  /** Sends a payment and commits it; returns its hash and height. */
  async function pay(amount: string): Promise<{ hash: string; height: number }> {
    const hash = await alice.client.signAndBroadcastSync(
      alice.address,
      [
        {
          typeUrl: "/cosmos.bank.v1beta1.MsgSend",
          value: { fromAddress: alice.address, toAddress: devnet.wallets[1]!.address, amount: [{ denom: DENOM, amount }] },
        },
      ],
      FIXED_FEE,
    );
    return { hash, height: await devnet.produceBlock() };
  }

  it("stall delays every answer by at least stallMs, and clear() ends it", async () => {
    devnet.faults.set({ stallMs: 300 });
    let t0 = performance.now();
    await tm.status();
    expect(performance.now() - t0).toBeGreaterThanOrEqual(290);
    devnet.faults.clear();
    t0 = performance.now();
    await tm.status();
    expect(performance.now() - t0).toBeLessThan(250);
  });

  it("drop destroys connections without an answer, and clear() restores service", async () => {
    devnet.faults.set({ drop: true });
    await expect(tm.status()).rejects.toThrow();
    devnet.faults.clear();
    expect((await tm.status()).nodeInfo.network).toBe(devnet.chainId);
  });

  it("error http500 answers HTTP 500, error rpc answers a JSON-RPC error", async () => {
    devnet.faults.set({ error: "http500" });
    const res = await fetch(devnet.rpcUrl, {
      method: "POST",
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "status", params: {} }),
    });
    expect(res.status).toBe(500);
    await expect(tm.status()).rejects.toThrow(/500/);
    devnet.faults.set({ error: "rpc" });
    const body = await rpc(devnet, "status");
    expect(body.error?.code).toBe(-32603);
    expect(body.result).toBeUndefined();
    devnet.faults.clear();
    expect((await rpc(devnet, "status")).result?.node_info.network).toBe(devnet.chainId);
  });

  it("garbage answers a body that is not JSON", async () => {
    devnet.faults.set({ garbage: true });
    const res = await fetch(devnet.rpcUrl, {
      method: "POST",
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "status", params: {} }),
    });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(() => JSON.parse(text)).toThrow();
    await expect(tm.status()).rejects.toThrow();
    devnet.faults.clear();
    await expect(tm.status()).resolves.toBeDefined();
  });

  it("faults limited to some methods leave the others working", async () => {
    devnet.faults.set({ error: "rpc", methods: ["tx_search"] });
    await expect(tm.txSearch({ query: "tx.height>=1" })).rejects.toThrow();
    expect((await tm.status()).syncInfo.latestBlockHeight).toBe(devnet.height());
    devnet.faults.clear();
  });

  it("indexLagBlocks hides the newest blocks' txs from tx and tx_search while blocks exist", async () => {
    const q = await queryClient(devnet);
    devnet.faults.set({ indexLagBlocks: 2 });
    const { hash, height } = await pay("5");
    expect((await tm.block(height)).block.txs.length).toBe(1);
    expect(await q.getTx(hash)).toBeNull();
    await devnet.produceBlock();
    expect(await q.getTx(hash)).toBeNull();
    await devnet.produceBlock();
    expect((await q.getTx(hash))?.height).toBe(height);
    devnet.faults.set({ indexLagBlocks: 5 });
    expect(await q.getTx(hash)).toBeNull();
    devnet.faults.clear();
    expect((await q.getTx(hash))?.height).toBe(height);
    q.disconnect();
  });

  it("skipHeights makes the next block jump, and skipped heights error like a pruned node", async () => {
    const before = devnet.height();
    devnet.faults.set({ skipHeights: 3 });
    const next = await devnet.produceBlock();
    expect(next).toBe(before + 4);
    for (let h = before + 1; h < next; h++) await expect(tm.block(h)).rejects.toThrow(/not available/);
    expect((await tm.block(next)).block.header.height).toBe(next);
    expect((await tm.block(before)).block.header.height).toBe(before);
    expect(await devnet.produceBlock()).toBe(next + 1);
    const { height } = await pay("6");
    expect(height).toBe(next + 2);
  });

  it("the devnet_fault admin method sets and clears faults over JSON-RPC and is never faulted itself", async () => {
    const set = await rpc(devnet, "devnet_fault", { drop: true, stallMs: 10 });
    expect(set.result).toMatchObject({ drop: true, stallMs: 10 });
    await expect(tm.status()).rejects.toThrow();
    const cleared = await rpc(devnet, "devnet_fault", { clear: true });
    expect(cleared.result).toMatchObject({ drop: false, stallMs: 0 });
    await expect(tm.status()).resolves.toBeDefined();
    const bad = await rpc(devnet, "devnet_fault", { stallMs: -1 });
    expect(bad.error?.code).toBe(-32602);
  });

  it("devnet_fund and devnet_produce_block work over JSON-RPC", async () => {
    const addr = devnet.wallets[9]!.address;
    const before = devnet.balance(addr);
    const res = await rpc(devnet, "devnet_fund", { address: addr, amount: "123" });
    expect(BigInt(res.result.balance)).toBe(before + 123n);
    const h = devnet.height();
    expect((await rpc(devnet, "devnet_produce_block")).result.height).toBe(h + 1);
  });
});
