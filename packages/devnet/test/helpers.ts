/** Test helpers: a devnet per suite and real cosmjs clients for its wallets. */
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import { GasPrice, SigningStargateClient, StargateClient } from "@cosmjs/stargate";
import { startDevnet, type Devnet, type DevnetOptions } from "../src/index.js";

export const DENOM = "uneutaro";
export const GAS_PRICE = GasPrice.fromString("0.025uneutaro");

/** A fixed fee that satisfies the 0.025 minimum gas price for 200k gas. */
export const FIXED_FEE = { amount: [{ denom: DENOM, amount: "5000" }], gas: "200000" };

export async function startTestDevnet(opts: DevnetOptions = {}): Promise<Devnet> {
  return startDevnet({ blockTimeMs: 0, ...opts });
}

export interface Signer {
  readonly address: string;
  readonly wallet: DirectSecp256k1HdWallet;
  readonly client: SigningStargateClient;
}

/** A SigningStargateClient for devnet wallet `index`, polling every 50 ms for inclusion. */
export async function signerFor(devnet: Devnet, index: number): Promise<Signer> {
  const wallet = await DirectSecp256k1HdWallet.fromMnemonic(devnet.wallets[index]!.mnemonic, { prefix: "neutaro" });
  const [account] = await wallet.getAccounts();
  const client = await SigningStargateClient.connectWithSigner(devnet.rpcUrl, wallet, {
    gasPrice: GAS_PRICE,
    broadcastPollIntervalMs: 50,
    broadcastTimeoutMs: 10_000,
  });
  return { address: account!.address, wallet, client };
}

export async function queryClient(devnet: Devnet): Promise<StargateClient> {
  return StargateClient.connect(devnet.rpcUrl);
}

/** Raw JSON-RPC call to the devnet (for admin methods and shapes cosmjs hides). */
export async function rpc(devnet: Devnet, method: string, params: object = {}): Promise<{ result?: any; error?: any }> {
  const res = await fetch(devnet.rpcUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  return (await res.json()) as { result?: any; error?: any };
}
