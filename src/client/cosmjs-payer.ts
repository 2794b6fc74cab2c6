/**
 * A Payer that signs a bank MsgSend with @cosmjs/stargate (works in Node and browsers). Signing and
 * broadcasting are separate steps so a failure before broadcast is known not to have moved money.
 */
import { DirectSecp256k1HdWallet, type OfflineSigner } from "@cosmjs/proto-signing";
import { BroadcastTxError, GasPrice, SigningStargateClient, calculateFee } from "@cosmjs/stargate";
import { TxRaw } from "cosmjs-types/cosmos/tx/v1beta1/tx";
import { sha256 } from "@cosmjs/crypto";
import { toBase64, toHex } from "@cosmjs/encoding";
import { PaymentNotSentError } from "./errors.js";
import { Mutex } from "./mutex.js";
import type { Payer } from "./payer.js";

export interface CosmjsPayerOptions {
  /** BIP-39 mnemonic (one of mnemonic / signer) */
  readonly mnemonic?: string;
  /** any cosmjs OfflineSigner (Keplr, Ledger, …) */
  readonly signer?: OfflineSigner;
  /** CometBFT RPC URL, e.g. "https://rpc2.neutaro.io:443" */
  readonly rpc: string;
  /** expected chain id; when set, a node on another chain is refused. Default: the node's own. */
  readonly chainId?: string;
  /** e.g. "0.025uneutaro" (Neutaro's default) */
  readonly gasPrice?: string;
  /** gas limit of a MsgSend, default 200000 */
  readonly gasLimit?: number;
  /** bech32 prefix, default "neutaro" */
  readonly prefix?: string;
  /** inclusion poll interval, default 250 ms (cosmjs's 3 s is a whole block too slow) */
  readonly pollIntervalMs?: number;
  /** give up waiting for inclusion after this, default 60000 ms (the tx may still land: reservation kept) */
  readonly timeoutMs?: number;
  /** sign(): how long a signed, not yet included sequence stays reserved, ms (default 20000) */
  readonly pendingSequenceMs?: number;
}

export interface CosmjsPayer extends Payer {
  address(): Promise<string>;
  /** fee of one payment in micro-units of the gas denom */
  readonly feeMicro: bigint;
  disconnect(): void;
}

/**
 * @throws (from pay) PaymentNotSentError when signing, connecting or CheckTx failed, or the tx failed on
 * chain (the amount did not move; the fee did); other errors (inclusion timeout) mean "maybe sent".
 */
export function cosmjsPayer(opts: CosmjsPayerOptions): CosmjsPayer {
  if (!opts.mnemonic === !opts.signer) throw new TypeError("cosmjsPayer needs exactly one of mnemonic or signer");
  const prefix = opts.prefix ?? "neutaro";
  const fee = calculateFee(opts.gasLimit ?? 200_000, GasPrice.fromString(opts.gasPrice ?? "0.025uneutaro"));
  const mutex = new Mutex(); // one account, one sequence: payments go one at a time
  // Signed-only payments are broadcast by the server: the chain's sequence moves a block later, so
  // the next signature uses one past the last one signed while that is recent.
  let lastSigned: { sequence: number; at: number } | undefined;
  let session: Promise<{ client: SigningStargateClient; address: string; chainId: string }> | undefined;

  const connect = () =>
    (session ??= (async () => {
      const signer = opts.signer ?? (await DirectSecp256k1HdWallet.fromMnemonic(opts.mnemonic!, { prefix }));
      const [account] = await signer.getAccounts();
      if (!account) throw new Error("signer has no accounts");
      const client = await SigningStargateClient.connectWithSigner(opts.rpc, signer, {
        broadcastPollIntervalMs: opts.pollIntervalMs ?? 250,
        broadcastTimeoutMs: opts.timeoutMs ?? 60_000,
      });
      const chainId = await client.getChainId();
      if (opts.chainId !== undefined && chainId !== opts.chainId)
        throw new Error(`RPC ${opts.rpc} serves chain ${chainId}, not ${opts.chainId}`);
      return { client, address: account.address, chainId };
    })().catch((err: unknown) => {
      session = undefined;
      throw err;
    }));

  return {
    feeMicro: BigInt(fee.amount[0]!.amount),
    address: async () => (await connect()).address,
    pay: (order) =>
      mutex.run(async () => {
        let signed: Uint8Array;
        let client: SigningStargateClient;
        try {
          const s = await connect();
          client = s.client;
          if (order.network !== `cosmos:${s.chainId}`) throw new Error(`this payer pays on cosmos:${s.chainId}, not ${order.network}`);
          const msg = {
            typeUrl: "/cosmos.bank.v1beta1.MsgSend",
            value: {
              fromAddress: s.address,
              toAddress: order.payTo,
              amount: [{ denom: order.denom, amount: order.amountMicro.toString() }],
            },
          };
          signed = TxRaw.encode(await client.sign(s.address, [msg], fee, order.memo)).finish();
        } catch (err) {
          throw new PaymentNotSentError(`not signed: ${err instanceof Error ? err.message : String(err)}`, undefined, { cause: err });
        }
        let res;
        try {
          res = await client.broadcastTx(signed, opts.timeoutMs ?? 60_000, opts.pollIntervalMs ?? 250);
        } catch (err) {
          if (err instanceof BroadcastTxError)
            throw new PaymentNotSentError(`rejected by the node (code ${err.code}): ${err.log ?? ""}`, undefined, { cause: err });
          throw err;
        }
        const txHash = res.transactionHash.toUpperCase();
        if (res.code !== 0) throw new PaymentNotSentError(`tx ${txHash} failed on chain (code ${res.code}): ${res.rawLog ?? ""}`, txHash);
        return { txHash };
      }),
    sign: (order) =>
      mutex.run(async () => {
        try {
          const s = await connect();
          if (order.network !== `cosmos:${s.chainId}`) throw new Error(`this payer pays on cosmos:${s.chainId}, not ${order.network}`);
          const { accountNumber, sequence: chainSeq } = await s.client.getSequence(s.address);
          const fresh = lastSigned && Date.now() - lastSigned.at < (opts.pendingSequenceMs ?? 20_000) && lastSigned.sequence >= chainSeq;
          const sequence = fresh ? lastSigned!.sequence + 1 : chainSeq;
          const amount = order.amountMicro.toString();
          const msg = {
            typeUrl: "/cosmos.bank.v1beta1.MsgSend",
            value: { fromAddress: s.address, toAddress: order.payTo, amount: [{ denom: order.denom, amount }] },
          };
          const bytes = TxRaw.encode(
            await s.client.sign(s.address, [msg], fee, order.memo, { accountNumber, sequence, chainId: s.chainId }),
          ).finish();
          lastSigned = { sequence, at: Date.now() };
          return {
            txHash: toHex(sha256(bytes)).toUpperCase(),
            signedTx: toBase64(bytes),
            authorization: { from: s.address, to: order.payTo, amount, denom: order.denom, timeoutAt: Math.floor(Date.now() / 1000) + 300 },
          };
        } catch (err) {
          throw new PaymentNotSentError(`not signed: ${err instanceof Error ? err.message : String(err)}`, undefined, { cause: err });
        }
      }),
    disconnect: () => {
      void session?.then(
        (s) => s.client.disconnect(),
        () => undefined,
      );
      session = undefined;
    },
  };
}
