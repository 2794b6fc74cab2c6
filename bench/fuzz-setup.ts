/**
 * What the fuzzer needs from a running gateway, made with real parts: one invoice paid on the devnet
 * and redeemed (its proof is then only good for replays), and one prepaid account with no money.
 */
import type { ExtAuthzClient } from "../src/transport/envoy/client.js";
import type { FuzzTarget } from "./fuzz-inputs.js";

/** Pays a tx with `memo`; resolves its hash once included. */
export type Pay = (to: string, amountMicro: bigint, memo: string) => Promise<{ txHash: string }>;

/** The gate402 route table the fuzzer runs against: priced routes only, nothing free. */
export const FUZZ_ROUTES = "/api/expensive=1.0,/api/premium/*=1.0";

function check(path: string, headers: Record<string, string> = {}): object {
  return {
    attributes: { request: { http: { method: "GET", path, host: "api.example.com", scheme: "https", headers } }, context_extensions: {} },
  };
}

/** @throws when the gateway does not behave as the setup expects (402, then allow once) */
export async function fuzzTarget(grpc: ExtAuthzClient, httpPort: number, pay: Pay): Promise<FuzzTarget> {
  const first = await grpc.check(check("/api/setup"));
  const body = JSON.parse(String((first.denied_response as { body?: string }).body)) as {
    payment: { invoiceId: string; address: string; amountMicro: string };
  };
  const { invoiceId, address, amountMicro } = body.payment;
  const { txHash } = await pay(address, BigInt(amountMicro), invoiceId);
  const redeemedProof = `${invoiceId}:${txHash}`;
  const paid = await grpc.check(check("/api/setup", { "x-payment-proof": redeemedProof }));
  if (!paid.ok_response) throw new Error("fuzz setup: the paid request was not allowed");
  const res = await fetch(`http://127.0.0.1:${httpPort}/prepaid/accounts`, { method: "POST" });
  if (res.status !== 201) throw new Error(`fuzz setup: POST /prepaid/accounts answered ${res.status}`);
  const { clientId, clientKey } = (await res.json()) as { clientId: string; clientKey: string };
  return { grpc, httpPort, redeemedProof, emptyAccount: { clientId, clientKey } };
}
