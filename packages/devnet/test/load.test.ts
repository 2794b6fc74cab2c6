import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import { SigningStargateClient, StargateClient } from "@cosmjs/stargate";
import { TxRaw } from "cosmjs-types/cosmos/tx/v1beta1/tx";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Devnet } from "../src/index.js";
import { DENOM, FIXED_FEE, startTestDevnet } from "./helpers.js";

const WALLETS = 10;
const PER_WALLET = 20;

describe("devnet under load", () => {
  let devnet: Devnet;
  let query: StargateClient;

  beforeAll(async () => {
    devnet = await startTestDevnet({ blockTimeMs: 30, accounts: WALLETS + 1 });
    query = await StargateClient.connect(devnet.rpcUrl);
  });
  afterAll(async () => {
    query?.disconnect();
    await devnet?.stop();
  });

  it("200 pre-signed txs with explicit account numbers and sequences all land within a few blocks", async () => {
    const payee = devnet.wallets[WALLETS]!.address;
    const perWallet: Uint8Array[][] = [];
    for (let w = 0; w < WALLETS; w++) {
      const wallet = await DirectSecp256k1HdWallet.fromMnemonic(devnet.wallets[w]!.mnemonic, { prefix: "neutaro" });
      const signer = await SigningStargateClient.offline(wallet);
      const from = devnet.wallets[w]!.address;
      const { accountNumber, sequence } = await query.getSequence(from);
      const txs: Uint8Array[] = [];
      for (let i = 0; i < PER_WALLET; i++) {
        const msg = {
          typeUrl: "/cosmos.bank.v1beta1.MsgSend",
          value: { fromAddress: from, toAddress: payee, amount: [{ denom: DENOM, amount: "1" }] },
        };
        const raw = await signer.sign(from, [msg], FIXED_FEE, `w${w}-${i}`, {
          accountNumber,
          sequence: sequence + i,
          chainId: devnet.chainId,
        });
        txs.push(TxRaw.encode(raw).finish());
      }
      perWallet.push(txs);
    }
    const before = devnet.balance(payee);
    const startHeight = devnet.height();
    // wallets in parallel; each wallet's txs in sequence order, as a client must send them
    const hashes = (
      await Promise.all(
        perWallet.map(async (txs) => {
          const out: string[] = [];
          for (const tx of txs) out.push(await query.broadcastTxSync(tx));
          return out;
        }),
      )
    ).flat();
    expect(new Set(hashes).size).toBe(WALLETS * PER_WALLET);
    const last = devnet.height();
    await devnet.waitForHeight(last + 1, 5_000);
    const found = await query.searchTx(`transfer.recipient='${payee}' AND tx.height>${startHeight}`);
    expect(found.length).toBe(WALLETS * PER_WALLET);
    expect(found.every((t) => t.code === 0)).toBe(true);
    expect(Math.max(...found.map((t) => t.height))).toBeLessThanOrEqual(last + 1);
    expect(devnet.balance(payee) - before).toBe(BigInt(WALLETS * PER_WALLET));
  });
});
