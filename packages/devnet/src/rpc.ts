/**
 * JSON-RPC 2.0 plumbing of the devnet's CometBFT endpoint: the error type, param readers and the method
 * table. Method handlers live in rpc-info.ts, rpc-tx.ts and rpc-admin.ts.
 */
import type { Chain } from "./chain.js";
import type { DevnetFaults } from "./faults.js";

/** A JSON-RPC error as CometBFT sends it: code -32603 "Internal error" with the reason in `data`. */
export class RpcError extends Error {
  constructor(
    readonly code: number,
    readonly rpcMessage: string,
    readonly data: string,
  ) {
    super(`${rpcMessage}: ${data}`);
    this.name = "RpcError";
  }
}

export const internalError = (data: string): RpcError => new RpcError(-32603, "Internal error", data);
export const invalidParams = (data: string): RpcError => new RpcError(-32602, "Invalid params", data);

/** What method handlers may use of the running devnet. */
export interface RpcNode {
  readonly chain: Chain;
  readonly faults: DevnetFaults;
  readonly chainId: string;
  readonly denom: string;
  /** "tcp://127.0.0.1:PORT" */
  listenAddr(): string;
  /** commits a block now (honouring skipHeights); returns its height */
  produceBlock(): number;
}

export type Params = Readonly<Record<string, unknown>>;
export type Handler = (node: RpcNode, params: Params) => unknown;

/** Optional string param (numbers are stringified, as CometBFT's URI params are). */
export function str(params: Params, name: string): string | undefined {
  const v = params[name];
  if (v === undefined || v === null || v === "") return undefined;
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  throw invalidParams(`${name} must be a string`);
}

/** Optional integer param given as number or decimal string. @throws RpcError -32602 */
export function int(params: Params, name: string): number | undefined {
  const v = str(params, name);
  if (v === undefined) return undefined;
  if (!/^-?\d{1,15}$/.test(v)) throw invalidParams(`${name} must be an integer, got "${v}"`);
  return Number(v);
}

/** Bytes param: base64 (JSON params), or hex with "0x" (URI params) or 64 hex chars (hashes). */
export function bytesParam(params: Params, name: string): Uint8Array {
  const v = str(params, name);
  if (v === undefined) throw invalidParams(`missing ${name}`);
  if (/^0x[0-9a-fA-F]*$/.test(v)) return Uint8Array.from(Buffer.from(v.slice(2), "hex"));
  if (/^[0-9a-fA-F]{64}$/.test(v)) return Uint8Array.from(Buffer.from(v, "hex"));
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(v)) throw invalidParams(`${name} must be base64`);
  return Uint8Array.from(Buffer.from(v, "base64"));
}
