import { Tendermint37Client } from "@cosmjs/tendermint-rpc";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Devnet } from "../src/index.js";
import { DENOM, FIXED_FEE, rpc, signerFor, startTestDevnet, type Signer } from "./helpers.js";

describe("devnet CometBFT 0.37 RPC shapes", () => {
  let devnet: Devnet;
  let tm: Tendermint37Client;
  let alice: Signer;
  const hashes: string[] = [];
  let firstHeight = 0;

  beforeAll(async () => {
    devnet = await startTestDevnet({ blockTimeMs: 0, chainId: "neutaro-shapes-7" });
    tm = await Tendermint37Client.connect(devnet.rpcUrl);
    alice = await signerFor(devnet, 0);
    // 7 payments, one per block, to one payee
    for (let i = 0; i < 7; i++) {
      const msg = {
        typeUrl: "/cosmos.bank.v1beta1.MsgSend",
        value: { fromAddress: alice.address, toAddress: devnet.wallets[2]!.address, amount: [{ denom: DENOM, amount: String(100 + i) }] },
      };
      hashes.push(await alice.client.signAndBroadcastSync(alice.address, [msg], FIXED_FEE, `m${i}`));
      const h = await devnet.produceBlock();
      if (i === 0) firstHeight = h;
    }
  });
  afterAll(async () => {
    tm?.disconnect();
    alice?.client.disconnect();
    await devnet?.stop();
  });

  it("status reports a 0.37 node with the chain id, tx indexing on and the latest block", async () => {
    const s = await tm.status();
    expect(s.nodeInfo.version).toMatch(/^0\.37\./);
    expect(s.nodeInfo.network).toBe("neutaro-shapes-7");
    expect(s.nodeInfo.other.get("tx_index")).toBe("on");
    expect(s.syncInfo.catchingUp).toBe(false);
    expect(s.syncInfo.latestBlockHeight).toBe(devnet.height());
    const latest = await tm.block();
    expect(s.syncInfo.latestBlockHash).toEqual(latest.blockId.hash);
    expect(s.syncInfo.latestBlockTime.getTime()).toBe(latest.block.header.time.getTime());
  });

  it("blocks chain by last_block_id, carry their txs, and have increasing times", async () => {
    const b1 = await tm.block(firstHeight);
    const b2 = await tm.block(firstHeight + 1);
    expect(b2.block.header.lastBlockId?.hash).toEqual(b1.blockId.hash);
    expect(b2.block.lastCommit?.height).toBe(firstHeight);
    expect(b2.block.header.time.getTime()).toBeGreaterThan(b1.block.header.time.getTime());
    expect(b1.block.txs.length).toBe(1);
    expect((await tm.block(1)).block.header.lastBlockId).toBeNull();
    await expect(tm.block(devnet.height() + 5)).rejects.toThrow(/must be less than or equal/);
  });

  it("blockchain and abci_info decode and agree with the latest height", async () => {
    const chain = await tm.blockchain(1, devnet.height());
    expect(chain.lastHeight).toBe(devnet.height());
    expect(chain.blockMetas[0]!.header.height).toBe(devnet.height());
    expect(chain.blockMetas.length).toBe(Math.min(20, devnet.height()));
    expect((await tm.abciInfo()).lastBlockHeight).toBe(devnet.height());
  });

  it("tx_search pages by per_page, orders asc or desc, and reports total_count", async () => {
    const query = `transfer.recipient='${devnet.wallets[2]!.address}' AND tx.height>=${firstHeight}`;
    const page1 = await tm.txSearch({ query, per_page: 3, page: 1 });
    const page3 = await tm.txSearch({ query, per_page: 3, page: 3 });
    expect(page1.totalCount).toBe(7);
    expect(page3.txs.length).toBe(1);
    const asc = (await tm.txSearchAll({ query, per_page: 2 })).txs.map((t) => Buffer.from(t.hash).toString("hex").toUpperCase());
    expect(asc).toEqual(hashes);
    const desc = (await tm.txSearch({ query, order_by: "desc", per_page: 100 })).txs.map((t) => t.height);
    expect(desc).toEqual([...desc].sort((a, b) => b - a));
    await expect(tm.txSearch({ query, per_page: 3, page: 4 })).rejects.toThrow(/page should be within/);
    const ranged = await tm.txSearch({ query: `tx.height>${firstHeight + 1} AND tx.height<=${firstHeight + 3}` });
    expect(ranged.txs.map((t) => t.height)).toEqual([firstHeight + 2, firstHeight + 3]);
  });

  it("tx by hash decodes with its result, and unknown hashes are a JSON-RPC error", async () => {
    const res = await tm.tx({ hash: Buffer.from(hashes[0]!, "hex") });
    expect(res.height).toBe(firstHeight);
    expect(res.result.code).toBe(0);
    expect(res.result.gasUsed).toBeGreaterThan(0n);
    expect(res.result.gasUsed).toBeLessThanOrEqual(res.result.gasWanted);
    await expect(tm.tx({ hash: new Uint8Array(32) })).rejects.toThrow(/not found/);
  });

  it("GET /<method>?args works CometBFT URI style", async () => {
    const res = await fetch(`${devnet.rpcUrl}/tx?hash=0x${hashes[1]}`);
    const body = (await res.json()) as {
      result: { height: string; tx_result: { events: Array<{ attributes: Array<{ key: string; index: boolean }> }> } };
    };
    expect(body.result.height).toBe(String(firstHeight + 1));
    expect(body.result.tx_result.events.flatMap((e) => e.attributes).every((a) => a.index === true)).toBe(true);
    const search = (await (await fetch(`${devnet.rpcUrl}/tx_search?query="tx.height=${firstHeight}"`)).json()) as {
      result: { total_count: string };
    };
    expect(search.result.total_count).toBe("1");
  });

  it("broadcast_tx_commit answers once the tx is in a block, with its DeliverTx result", async () => {
    const msg = {
      typeUrl: "/cosmos.bank.v1beta1.MsgSend",
      value: { fromAddress: alice.address, toAddress: devnet.wallets[3]!.address, amount: [{ denom: DENOM, amount: "42" }] },
    };
    const { accountNumber, sequence } = await alice.client.getSequence(alice.address);
    const raw = await alice.client.sign(alice.address, [msg], FIXED_FEE, "commit", { accountNumber, sequence, chainId: devnet.chainId });
    const { TxRaw } = await import("cosmjs-types/cosmos/tx/v1beta1/tx");
    const pending = tm.broadcastTxCommit({ tx: TxRaw.encode(raw).finish() });
    await new Promise((r) => setTimeout(r, 50));
    const height = await devnet.produceBlock();
    const res = await pending;
    expect(res.height).toBe(height);
    expect(res.checkTx.code).toBe(0);
    expect(res.deliverTx?.code).toBe(0);
    expect(res.deliverTx?.events.some((e) => e.type === "transfer")).toBe(true);
  });

  it("a malformed query and an unknown method are JSON-RPC errors", async () => {
    expect((await rpc(devnet, "tx_search", { query: "transfer.recipient=" })).error?.data).toMatch(/failed to parse query/);
    expect((await rpc(devnet, "no_such_method")).error?.code).toBe(-32601);
  });
});
