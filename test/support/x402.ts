/**
 * x402 clients for end-to-end tests, built from the real packages: @x402/core's x402Client with
 * gate402/x402's registerExactCosmosScheme, wrapped by @x402/fetch. Every payment payload the client
 * creates is captured (for replay tests).
 */
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import { x402Client } from "@x402/core/client";
import type { PaymentPayload } from "@x402/core/types";
import { encodePaymentSignatureHeader } from "@x402/core/http";
import { wrapFetchWithPayment } from "@x402/fetch";
import { registerExactCosmosScheme, type ExactCosmosSchemeOptions } from "../../src/x402/index.js";

export interface X402Payer {
  readonly address: string;
  readonly client: x402Client;
  /** fetch that pays 402s */
  readonly fetch: (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>;
  /** every payload created, in order */
  readonly payloads: PaymentPayload[];
  /** PAYMENT-SIGNATURE header of a captured payload */
  header(p: PaymentPayload): string;
  close(): Promise<void>;
}

/** A paying @x402/fetch for `mnemonic`, allowed to spend up to `maxMicro` of `denom` per payment on `network`. */
export async function x402Payer(
  o: { rpcUrl: string; mnemonic: string; network: string; denom?: string; maxMicro?: string } & Partial<ExactCosmosSchemeOptions>,
): Promise<X402Payer> {
  const signer = o.signer ?? (await DirectSecp256k1HdWallet.fromMnemonic(o.mnemonic, { prefix: "neutaro" }));
  const [acc] = await signer.getAccounts();
  const client = new x402Client();
  registerExactCosmosScheme(client, { ...o, signer, rpc: o.rpcUrl });
  client.setSpendControls({
    allowedAssets: [
      { network: o.network as `${string}:${string}`, asset: o.denom ?? "uneutaro", maxAmountPerPayment: o.maxMicro ?? "1000000" },
    ],
  });
  const payloads: PaymentPayload[] = [];
  client.onAfterPaymentCreation(async (ctx) => {
    payloads.push(ctx.paymentPayload);
  });
  return {
    address: acc!.address,
    client,
    payloads,
    fetch: wrapFetchWithPayment(fetch, client),
    header: (p) => encodePaymentSignatureHeader(p),
    close: async () => {},
  };
}
