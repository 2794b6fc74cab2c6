import { decodeTxRaw } from "@cosmjs/proto-signing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Devnet } from "../src/index.js";
import { moduleAddress } from "../src/index.js";
import { DENOM, FIXED_FEE, queryClient, signerFor, startTestDevnet, type Signer } from "./helpers.js";

describe("devnet payments with real cosmjs clients", () => {
  let devnet: Devnet;
  let alice: Signer;
  let bob: Signer;

  beforeAll(async () => {
    devnet = await startTestDevnet({ blockTimeMs: 40 });
    alice = await signerFor(devnet, 0);
    bob = await signerFor(devnet, 1);
  });
  afterAll(async () => {
    alice?.client.disconnect();
    bob?.client.disconnect();
    await devnet?.stop();
  });

  it("wallet addresses are the cosmjs HD wallet addresses of their mnemonics and are funded", async () => {
    expect(alice.address).toBe(devnet.wallets[0]!.address);
    expect(new Set(devnet.wallets.map((w) => w.address)).size).toBe(devnet.wallets.length);
    expect(devnet.wallets.length).toBeGreaterThanOrEqual(10);
    const q = await queryClient(devnet);
    const bal = await q.getBalance(bob.address, DENOM);
    expect(BigInt(bal.amount)).toBe(devnet.balance(bob.address));
    expect(BigInt(bal.amount)).toBeGreaterThan(0n);
    q.disconnect();
  });

  it("sendTokens with an auto fee moves the amount to the recipient and the fee to the fee collector", async () => {
    const payee = devnet.wallets[5]!.address;
    const feeCollector = moduleAddress("fee_collector", "neutaro");
    const before = { alice: devnet.balance(alice.address), payee: devnet.balance(payee), fees: devnet.balance(feeCollector) };
    const res = await alice.client.sendTokens(alice.address, payee, [{ denom: DENOM, amount: "1000" }], "auto", "invoice-abc");
    expect(res.code).toBe(0);
    const feeMicro = devnet.balance(feeCollector) - before.fees;
    expect(feeMicro).toBeGreaterThan(0n);
    expect(feeMicro * 1000n).toBeGreaterThanOrEqual(res.gasWanted * 25n);
    expect(devnet.balance(payee) - before.payee).toBe(1000n);
    expect(before.alice - devnet.balance(alice.address)).toBe(1000n + feeMicro);
    const q = await queryClient(devnet);
    expect(BigInt((await q.getBalance(feeCollector, DENOM)).amount)).toBe(devnet.balance(feeCollector));
    q.disconnect();
  });

  it("the memo comes back through getTx and decodeTxRaw, with fee and payment transfer events", async () => {
    const payee = devnet.wallets[6]!.address;
    const memo = `inv-${Date.now()}`;
    const res = await alice.client.sendTokens(alice.address, payee, [{ denom: DENOM, amount: "2500" }], FIXED_FEE, memo);
    const tx = await alice.client.getTx(res.transactionHash);
    expect(tx).not.toBeNull();
    expect(tx!.hash).toMatch(/^[0-9A-F]{64}$/);
    expect(decodeTxRaw(tx!.tx).body.memo).toBe(memo);
    const transfers = tx!.events
      .filter((e) => e.type === "transfer")
      .map((e) => Object.fromEntries(e.attributes.map((a) => [a.key, a.value])));
    expect(transfers).toContainEqual({ recipient: devnet.feeCollector, sender: alice.address, amount: "5000uneutaro" });
    expect(transfers).toContainEqual({ recipient: payee, sender: alice.address, amount: "2500uneutaro" });
    const msg = tx!.events.find((e) => e.type === "message" && e.attributes.some((a) => a.key === "action"));
    expect(msg?.attributes.map((a) => [a.key, a.value])).toEqual([
      ["action", "/cosmos.bank.v1beta1.MsgSend"],
      ["sender", alice.address],
      ["module", "bank"],
    ]);
    const accSeq = tx!.events.find((e) => e.type === "tx" && e.attributes[0]?.key === "acc_seq");
    expect(accSeq?.attributes[0]?.value).toMatch(new RegExp(`^${alice.address}/\\d+$`));
  });

  it("searchTx by transfer.recipient AND tx.height>=N finds exactly the payments at or after N", async () => {
    const payee = devnet.wallets[7]!.address;
    const first = await bob.client.sendTokens(bob.address, payee, [{ denom: DENOM, amount: "11" }], FIXED_FEE, "one");
    const second = await bob.client.sendTokens(bob.address, payee, [{ denom: DENOM, amount: "22" }], FIXED_FEE, "two");
    const all = await bob.client.searchTx(`transfer.recipient='${payee}'`);
    expect(all.map((t) => t.hash)).toEqual([first.transactionHash, second.transactionHash]);
    const later = await bob.client.searchTx(`transfer.recipient='${payee}' AND tx.height>=${second.height}`);
    expect(later.map((t) => t.hash)).toEqual([second.transactionHash]);
    const bySender = await bob.client.searchTx([
      { key: "message.sender", value: bob.address },
      { key: "tx.height", value: first.height },
    ]);
    expect(bySender.map((t) => t.hash)).toContain(first.transactionHash);
  });

  it("a MsgSend above the balance is included with code 5 and charges only the fee", async () => {
    const poor = await signerFor(devnet, 8);
    const payee = devnet.wallets[9]!.address;
    const balance = devnet.balance(poor.address);
    const payeeBefore = devnet.balance(payee);
    const tooMuch = (balance - 5000n + 1n).toString();
    const res = await poor.client.sendTokens(poor.address, payee, [{ denom: DENOM, amount: tooMuch }], FIXED_FEE, "fail");
    expect(res.code).toBe(5);
    expect(devnet.balance(poor.address)).toBe(balance - 5000n);
    expect(devnet.balance(payee)).toBe(payeeBefore);
    const tx = await poor.client.getTx(res.transactionHash);
    expect(tx?.code).toBe(5);
    expect(tx?.rawLog).toContain("insufficient funds");
    const bySender = await poor.client.searchTx(`message.sender='${poor.address}'`);
    expect(bySender.map((t) => t.hash)).toContain(res.transactionHash);
    // the sequence moved on: the next tx from the same wallet succeeds
    const next = await poor.client.sendTokens(poor.address, payee, [{ denom: DENOM, amount: "1" }], FIXED_FEE);
    expect(next.code).toBe(0);
    poor.client.disconnect();
  });
});
