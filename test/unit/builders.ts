import type { RequestFacts } from "../../src/core/facts.js";
import type { ChainTx, Transfer } from "../../src/ports/chain.js";

/** Realistic Neutaro bech32 addresses (valid charset, 38 data characters). */
export const PAY_TO = "neutaro1w8xkwq5cdrqqx2lqe3m6ddvzq5t7yfc8f4fpgm";
export const PAYER = "neutaro1g3qs8ujqtxq0c7n5lr2zkmsxjyfe9adnm5rqzc";
export const OTHER = "neutaro1h9vzcyf0k5qxdw3p8smrz7ujtl5gaw6ex2nq4y";
/** x/auth fee collector module account. */
export const FEE_COLLECTOR = "neutaro17xpfvakm2amg962yls6f84z3kell8c5l2q7nwn";
export const DENOM = "uneutaro";
export const CHAIN_ID = "Neutaro-1";
export const NETWORK = "cosmos:Neutaro-1";
export const INVOICE_SECRET = "9f2c4e7a1b3d5f60718293a4b5c6d7e8f9012a3b4c5d6e7f8091a2b3c4d5e6f7";

/** Request facts for `GET https://api.example.com/api/data`, with overrides. */
export function facts(over: Partial<RequestFacts> = {}): RequestFacts {
  const path = over.path ?? "/api/data";
  return {
    transport: "grpc",
    method: "GET",
    host: "api.example.com",
    path,
    pathWithQuery: over.pathWithQuery ?? path,
    scheme: "https",
    headers: {},
    contextExtensions: {},
    requestId: "4f1c0b7e-2b1e-4c55-9a51-6f0e8f3b1d2a",
    ...over,
  };
}

/** 64 uppercase hex chars derived from a seed (distinct seeds, distinct hashes). */
export function txHash(seed: number): string {
  return (seed.toString(16).padStart(8, "0").toUpperCase() + "A1B2C3D4E5F60718").repeat(3).slice(0, 64).padEnd(64, "0");
}

/** The fee transfer every SDK 0.47 tx emits: payer → fee collector. */
export function feeTransfer(amountMicro = 5_000n, sender = PAYER): Transfer {
  return { sender, recipient: FEE_COLLECTOR, denom: DENOM, amountMicro };
}

/** A successful MsgSend of `amountMicro` uneutaro from PAYER to PAY_TO with `memo`, fee included. */
export function paymentTx(memo: string, amountMicro: bigint, over: Partial<ChainTx> = {}): ChainTx {
  return {
    hash: txHash(1),
    height: 1_204_331,
    code: 0,
    memo,
    transfers: [feeTransfer(), { sender: PAYER, recipient: PAY_TO, denom: DENOM, amountMicro }],
    ...over,
  };
}
