/**
 * The client side of the Cosmos `exact` x402 scheme, for @x402/core's x402Client (and so @x402/fetch,
 * @x402/axios): pays `requirements.amount` of `requirements.asset` to `requirements.payTo` with a bank
 * MsgSend whose memo is `requirements.extra.memo` (a gate402 invoice id or a facilitator memo).
 * Default: signs without broadcasting and sends `{signedTx, authorization}` (the server broadcasts; no
 * block wait before the retry). `mode: "broadcast"` broadcasts, waits for inclusion and sends
 * `{txHash, invoiceId}` instead. Account number and sequence come from the RPC.
 */
import type { x402Client } from "@x402/core/client";
import type { PaymentPayloadResult, PaymentRequirements, SchemeClientHooks, SchemeNetworkClient } from "@x402/core/types";
import { fromBase64, toBase64 } from "@cosmjs/encoding";
import type { OfflineSigner } from "@cosmjs/proto-signing";
import { calculateFee, GasPrice, SigningStargateClient, StargateClient } from "@cosmjs/stargate";
import { AuthInfo, TxRaw } from "cosmjs-types/cosmos/tx/v1beta1/tx";

export interface ExactCosmosSchemeOptions {
  /** the payer's key (e.g. DirectSecp256k1HdWallet); its first account pays */
  readonly signer: OfflineSigner;
  /** CometBFT RPC URL of the chain, for account number, sequence (and broadcasting in broadcast mode) */
  readonly rpc: string;
  /** "signed" (default): send the signed tx for the server to broadcast; "broadcast": pay on chain first, send the tx hash */
  readonly mode?: "signed" | "broadcast";
  /** gas price, default `0.025<asset>` */
  readonly gasPrice?: string;
  /** gas limit of the MsgSend, default 100000 */
  readonly gasLimit?: number;
  /** broadcast mode: longest wait for inclusion, ms (default 30000) */
  readonly inclusionTimeoutMs?: number;
  /**
   * signed mode: how long a sequence this scheme signed stays reserved while the chain still reports
   * the older one (the server broadcasts; the chain's sequence moves at the next block), ms; default 20000
   */
  readonly pendingSequenceMs?: number;
}

const COSMOS = /^cosmos:([A-Za-z0-9._-]{1,64})$/;

/** ExactCosmosScheme: @x402/core SchemeNetworkClient for scheme `exact` on `cosmos:<chain-id>`. */
export class ExactCosmosScheme implements SchemeNetworkClient {
  readonly scheme = "exact";
  private query: Promise<StargateClient> | undefined;
  private readonly offline: Promise<SigningStargateClient>;
  private lastSigned: { address: string; sequence: number; at: number } | undefined;

  /**
   * A refused payment (the retry got another 402) was never broadcast: its sequence is free again, so
   * the next payment must not skip it (CheckTx takes sequences only in order).
   */
  readonly schemeHooks: SchemeClientHooks = {
    onPaymentResponse: async (ctx) => {
      if (ctx.settleResponse?.success || !ctx.paymentRequired) return;
      const signedTx = ctx.paymentPayload.payload["signedTx"];
      if (typeof signedTx === "string") this.forget(signedTx);
    },
  };

  constructor(private readonly opts: ExactCosmosSchemeOptions) {
    this.offline = SigningStargateClient.offline(opts.signer);
  }

  /** Releases the sequence of a signed tx the server refused, when it is the last one signed. */
  private forget(signedTx: string): void {
    let sequence: number;
    try {
      sequence = Number(AuthInfo.decode(TxRaw.decode(fromBase64(signedTx)).authInfoBytes).signerInfos[0]?.sequence ?? -1n);
    } catch {
      return;
    }
    const last = this.lastSigned;
    if (last && last.sequence === sequence) this.lastSigned = sequence > 0 ? { ...last, sequence: sequence - 1 } : undefined;
  }

  private client(): Promise<StargateClient> {
    this.query ??= StargateClient.connect(this.opts.rpc);
    return this.query;
  }

  /** The sequence to sign with: the chain's, or one past the one this scheme signed a moment ago. */
  private async nextSequence(address: string): Promise<{ accountNumber: bigint; sequence: number }> {
    const { accountNumber, sequence } = await (await this.client()).getSequence(address);
    const last = this.lastSigned;
    const fresh = last && last.address === address && Date.now() - last.at < (this.opts.pendingSequenceMs ?? 20_000);
    return { accountNumber, sequence: fresh && last.sequence >= sequence ? last.sequence + 1 : sequence };
  }

  async createPaymentPayload(x402Version: number, r: PaymentRequirements): Promise<PaymentPayloadResult> {
    const chainId = COSMOS.exec(r.network)?.[1];
    if (!chainId) throw new Error(`ExactCosmosScheme: network ${r.network} is not cosmos:<chain-id>`);
    const memo = r.extra?.["memo"] ?? r.extra?.["invoiceId"];
    if (typeof memo !== "string" || memo.length === 0)
      throw new Error("ExactCosmosScheme: requirements carry no extra.memo to bind the payment");
    if (!/^\d{1,30}$/.test(r.amount)) throw new Error(`ExactCosmosScheme: amount "${r.amount}" is not an integer of micro-units`);
    const [account] = await this.opts.signer.getAccounts();
    if (!account) throw new Error("ExactCosmosScheme: the signer has no account");
    const from = account.address;
    const fee = calculateFee(this.opts.gasLimit ?? 100_000, GasPrice.fromString(this.opts.gasPrice ?? `0.025${r.asset}`));
    const msg = {
      typeUrl: "/cosmos.bank.v1beta1.MsgSend",
      value: { fromAddress: from, toAddress: r.payTo, amount: [{ denom: r.asset, amount: r.amount }] },
    };
    const seq = await this.nextSequence(from);
    const signed = await (await this.offline).sign(from, [msg], fee, memo, {
      accountNumber: seq.accountNumber,
      sequence: seq.sequence,
      chainId,
    });
    const bytes = TxRaw.encode(signed).finish();
    this.lastSigned = { address: from, sequence: seq.sequence, at: Date.now() };
    if (this.opts.mode === "broadcast") {
      const txHash = await (await this.client())
        .broadcastTx(bytes, this.opts.inclusionTimeoutMs ?? 30_000, 250)
        .then((res) => res.transactionHash.toUpperCase());
      return { x402Version, payload: { txHash, invoiceId: memo } };
    }
    const timeoutAt = Math.floor(Date.now() / 1000) + Math.max(1, r.maxTimeoutSeconds);
    return {
      x402Version,
      payload: { signedTx: toBase64(bytes), authorization: { from, to: r.payTo, amount: r.amount, denom: r.asset, timeoutAt } },
    };
  }

  /** Closes the RPC connection. */
  async disconnect(): Promise<void> {
    if (this.query) (await this.query).disconnect();
  }
}

export interface RegisterExactCosmosOptions extends ExactCosmosSchemeOptions {
  /** CAIP-2 networks to register for; default ["cosmos:*"] */
  readonly networks?: readonly string[];
}

/**
 * Registers ExactCosmosScheme on an x402Client (shaped like @x402/evm's registerExactEvmScheme).
 * Spend controls stay yours: opt the asset in with
 * `client.setSpendControls({ allowedAssets: [{ network: "cosmos:Neutaro-1", asset: "uneutaro", maxAmountPerPayment: "10000" }] })`.
 * @returns the client, for chaining
 */
export function registerExactCosmosScheme(client: x402Client, opts: RegisterExactCosmosOptions): x402Client {
  const scheme = new ExactCosmosScheme(opts);
  for (const n of opts.networks ?? ["cosmos:*"]) client.register(n as `${string}:${string}`, scheme);
  return client;
}
