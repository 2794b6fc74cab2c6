import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import { GasPrice, SigningStargateClient, calculateFee } from "@cosmjs/stargate";

/** Pays with a real signed bank MsgSend through @cosmjs/stargate (the demo's agent wallet). */
export interface DemoPayer {
  readonly address: string;
  /**
   * Sends `amountMicro` of `denom` to `to` with `memo` and waits for inclusion.
   * @returns tx hash (64 uppercase hex) and ABCI code (0 = success)
   */
  send(to: string, amountMicro: bigint, memo: string): Promise<{ txHash: string; code: number; height: number }>;
  disconnect(): void;
}

/** @param rpcUrl CometBFT RPC; @param gasPrice e.g. "0.025uneutaro" */
export async function connectPayer(rpcUrl: string, mnemonic: string, denom: string, gasPrice = `0.025${denom}`): Promise<DemoPayer> {
  const wallet = await DirectSecp256k1HdWallet.fromMnemonic(mnemonic, { prefix: "neutaro" });
  const [account] = await wallet.getAccounts();
  // Poll fast: the devnet makes blocks in well under a second (cosmjs's default poll is 3 s).
  const client = await SigningStargateClient.connectWithSigner(rpcUrl, wallet, {
    broadcastPollIntervalMs: 100,
    broadcastTimeoutMs: 30_000,
  });
  const fee = calculateFee(200_000, GasPrice.fromString(gasPrice));
  return {
    address: account!.address,
    async send(to, amountMicro, memo) {
      const res = await client.sendTokens(account!.address, to, [{ denom, amount: amountMicro.toString() }], fee, memo);
      return { txHash: res.transactionHash.toUpperCase(), code: res.code, height: res.height };
    },
    disconnect: () => client.disconnect(),
  };
}
