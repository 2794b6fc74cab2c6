/**
 * Fast secp256k1 ECDSA verification over sha256(message) with Node's OpenSSL (about 50× faster than the
 * pure-JS path), falling back to @cosmjs/crypto when the key cannot be imported. Like Cosmos SDK 0.47,
 * only low-S signatures are valid (a high-S twin of a valid signature is rejected).
 */
import { createPublicKey, verify, type KeyObject } from "node:crypto";
import { Secp256k1, Secp256k1Signature, sha256 } from "@cosmjs/crypto";

// SPKI DER header for a 33-byte compressed secp256k1 point (id-ecPublicKey, secp256k1).
const SPKI_PREFIX = Buffer.from("3036301006072a8648ce3d020106052b8104000a032200", "hex");
const HALF_ORDER = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n;
const keys = new Map<string, KeyObject | null>();

function keyObject(pubkey: Uint8Array): KeyObject | null {
  const id = Buffer.from(pubkey).toString("hex");
  let key = keys.get(id);
  if (key === undefined) {
    try {
      key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, pubkey]), format: "der", type: "spki" });
    } catch {
      key = null;
    }
    if (keys.size > 10_000) keys.clear();
    keys.set(id, key);
  }
  return key;
}

/**
 * Verifies a 64-byte (r‖s) secp256k1 signature of sha256(message) by a 33-byte compressed pubkey.
 * @returns false for a wrong signature, a high-S signature or a malformed key
 */
export function verifySecp256k1(message: Uint8Array, signature: Uint8Array, pubkey: Uint8Array): boolean {
  if (signature.length !== 64 || pubkey.length !== 33) return false;
  const s = BigInt("0x" + Buffer.from(signature.subarray(32)).toString("hex"));
  if (s === 0n || s > HALF_ORDER) return false;
  const key = keyObject(pubkey);
  if (key) return verify("sha256", message, { key, dsaEncoding: "ieee-p1363" }, signature);
  try {
    return Secp256k1.verifySignature(Secp256k1Signature.fromFixedLength(signature), sha256(message), pubkey);
  } catch {
    return false;
  }
}
