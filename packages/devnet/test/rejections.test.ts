import { Secp256k1HdWallet } from "@cosmjs/amino";
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import { BroadcastTxError, SigningStargateClient, StargateClient, type StdFee } from "@cosmjs/stargate";
import { TxRaw } from "cosmjs-types/cosmos/tx/v1beta1/tx";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Devnet } from "../src/index.js";
import { DENOM, FIXED_FEE, GAS_PRICE, startTestDevnet } from "./helpers.js";

describe("devnet CheckTx rejects what an SDK 0.47 node rejects", () => {
  let devnet: Devnet;
  let offline: SigningStargateClient;
  let query: StargateClient;
  let from: string;
  const to = () => devnet.wallets[3]!.address;

  beforeAll(async () => {
    devnet = await startTestDevnet({ blockTimeMs: 0 });
    const wallet = await DirectSecp256k1HdWallet.fromMnemonic(devnet.wallets[2]!.mnemonic, { prefix: "neutaro" });
    from = (await wallet.getAccounts())[0]!.address;
    offline = await SigningStargateClient.offline(wallet);
    query = await StargateClient.connect(devnet.rpcUrl);
  });
  afterAll(async () => {
    query?.disconnect();
    await devnet?.stop();
  });

  async function signed(opts: { sequence?: number; chainId?: string; fee?: StdFee; amount?: string } = {}): Promise<Uint8Array> {
    const acc = await query.getSequence(from);
    const msg = {
      typeUrl: "/cosmos.bank.v1beta1.MsgSend",
      value: { fromAddress: from, toAddress: to(), amount: [{ denom: DENOM, amount: opts.amount ?? "100" }] },
    };
    const raw = await offline.sign(from, [msg], opts.fee ?? FIXED_FEE, "", {
      accountNumber: acc.accountNumber,
      sequence: opts.sequence ?? acc.sequence,
      chainId: opts.chainId ?? devnet.chainId,
    });
    return TxRaw.encode(raw).finish();
  }

  async function rejection(tx: Uint8Array): Promise<BroadcastTxError> {
    const err = await query.broadcastTxSync(tx).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(BroadcastTxError);
    return err as BroadcastTxError;
  }

  it("a tampered signature is rejected with code 4 (unauthorized)", async () => {
    const raw = TxRaw.decode(await signed());
    const sig = raw.signatures[0]!;
    sig[10] = sig[10]! ^ 0xff;
    const err = await rejection(TxRaw.encode(raw).finish());
    expect(err.code).toBe(4);
    expect(err.codespace).toBe("sdk");
  });

  it("a signature for another chain id is rejected with code 4", async () => {
    expect((await rejection(await signed({ chainId: "Neutaro-1" }))).code).toBe(4);
  });

  it("a wrong sequence is rejected with code 32 and names the expected one", async () => {
    const { sequence } = await query.getSequence(from);
    const err = await rejection(await signed({ sequence: sequence + 3 }));
    expect(err.code).toBe(32);
    expect(err.log).toContain(`expected ${sequence}, got ${sequence + 3}`);
  });

  it("a fee below gas limit × 0.025 is rejected with code 13", async () => {
    const err = await rejection(await signed({ fee: { amount: [{ denom: DENOM, amount: "4999" }], gas: "200000" } }));
    expect(err.code).toBe(13);
  });

  it("a fee above the payer's balance is rejected with code 5 and nothing changes", async () => {
    const before = devnet.balance(from);
    const fee = { amount: [{ denom: DENOM, amount: (before + 1n).toString() }], gas: "200000" };
    expect((await rejection(await signed({ fee }))).code).toBe(5);
    await devnet.produceBlock();
    expect(devnet.balance(from)).toBe(before);
  });

  it("the same tx broadcast twice is refused the second time, and a rejected tx is never included", async () => {
    const tx = await signed();
    const hash = await query.broadcastTxSync(tx);
    await expect(query.broadcastTxSync(tx)).rejects.toThrow(/already exists in cache/);
    const height = await devnet.produceBlock();
    const found = await query.getTx(hash);
    expect(found?.height).toBe(height);
    expect((await query.searchTx(`message.sender='${from}' AND tx.height=${height}`)).length).toBe(1);
  });

  it("an amino-json signed tx (Secp256k1HdWallet) is accepted and delivered", async () => {
    const amino = await Secp256k1HdWallet.fromMnemonic(devnet.wallets[4]!.mnemonic, { prefix: "neutaro" });
    const client = await SigningStargateClient.connectWithSigner(devnet.rpcUrl, amino, { gasPrice: GAS_PRICE });
    const sender = (await amino.getAccounts())[0]!.address;
    const before = devnet.balance(to());
    const hash = await client.signAndBroadcastSync(
      sender,
      [
        {
          typeUrl: "/cosmos.bank.v1beta1.MsgSend",
          value: { fromAddress: sender, toAddress: to(), amount: [{ denom: DENOM, amount: "777" }] },
        },
      ],
      "auto",
      "amino",
    );
    await devnet.produceBlock();
    expect((await client.getTx(hash))?.code).toBe(0);
    expect(devnet.balance(to()) - before).toBe(777n);
    client.disconnect();
  });

  it("a MsgMultiSend emits one transfer per output, each findable by transfer.recipient", async () => {
    const wallet = await DirectSecp256k1HdWallet.fromMnemonic(devnet.wallets[5]!.mnemonic, { prefix: "neutaro" });
    const client = await SigningStargateClient.connectWithSigner(devnet.rpcUrl, wallet, { gasPrice: GAS_PRICE });
    const sender = (await wallet.getAccounts())[0]!.address;
    const [r1, r2] = [devnet.wallets[6]!.address, devnet.wallets[7]!.address];
    const coins = (n: string) => [{ denom: DENOM, amount: n }];
    const msg = {
      typeUrl: "/cosmos.bank.v1beta1.MsgMultiSend",
      value: {
        inputs: [{ address: sender, coins: coins("30") }],
        outputs: [
          { address: r1, coins: coins("10") },
          { address: r2, coins: coins("20") },
        ],
      },
    };
    const hash = await client.signAndBroadcastSync(sender, [msg], "auto");
    const height = await devnet.produceBlock();
    const tx = await client.getTx(hash);
    expect(tx?.code).toBe(0);
    const payments = tx!.events.filter((e) => e.type === "transfer" && e.attributes.every((a) => a.value !== devnet.feeCollector));
    expect(payments.map((e) => Object.fromEntries(e.attributes.map((a) => [a.key, a.value])))).toEqual([
      { recipient: r1, amount: "10uneutaro" },
      { recipient: r2, amount: "20uneutaro" },
    ]);
    for (const r of [r1, r2]) {
      expect((await client.searchTx(`transfer.recipient='${r}' AND tx.height>=${height}`)).map((t) => t.hash)).toEqual([hash]);
    }
    client.disconnect();
  });
});
