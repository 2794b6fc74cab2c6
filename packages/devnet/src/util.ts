/** Small encoding helpers shared by the devnet: hashes, RFC 3339 times and bech32 module addresses. */
import { sha256 } from "@cosmjs/crypto";
import { toBech32, toHex } from "@cosmjs/encoding";

/** Uppercase hex, the CometBFT 0.37 RPC format for hashes and addresses. */
export function hexUpper(bytes: Uint8Array): string {
  return toHex(bytes).toUpperCase();
}

/** Tx hash as CometBFT computes it: sha256 of the raw tx bytes, 64 uppercase hex chars. */
export function txHashHex(txBytes: Uint8Array): string {
  return hexUpper(sha256(txBytes));
}

/**
 * Module account address per Cosmos SDK 0.47 `authtypes.NewModuleAddress`: first 20 bytes of
 * sha256(moduleName), bech32 with `prefix`.
 */
export function moduleAddress(moduleName: string, prefix: string): string {
  return toBech32(prefix, sha256(new TextEncoder().encode(moduleName)).slice(0, 20));
}

/**
 * RFC 3339 time with 9 fractional digits ("2026-01-02T03:04:05.123000000Z") as CometBFT prints it.
 * @param ms epoch milliseconds
 */
export function rfc3339Nanos(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000000Z");
}

/** Deterministic 32-byte hash of a string label, for fake but stable header/validator fields. */
export function labelHash(label: string): Uint8Array {
  return sha256(new TextEncoder().encode(label));
}
