import { Secp256k1, sha256 } from "@cosmjs/crypto";
import { describe, expect, it } from "vitest";
import { verifySecp256k1 } from "../src/secp256k1.js";

const N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

function keypair(seed: string) {
  const privkey = sha256(new TextEncoder().encode(seed));
  const { pubkey } = Secp256k1.makeKeypair(privkey);
  return { privkey, pubkey: Secp256k1.compressPubkey(pubkey) };
}

function sign(message: Uint8Array, privkey: Uint8Array): Uint8Array {
  return Secp256k1.createSignature(sha256(message), privkey).toFixedLength().slice(0, 64);
}

describe("devnet secp256k1 verification", () => {
  const messages = ["pay 1000uneutaro", "", "x".repeat(5000)].map((m) => new TextEncoder().encode(m));

  it("accepts exactly the signatures @cosmjs/crypto produces for that key and message", () => {
    const { privkey, pubkey } = keypair("alice");
    const other = keypair("bob");
    for (const m of messages) {
      const sig = sign(m, privkey);
      expect(verifySecp256k1(m, sig, pubkey)).toBe(true);
      expect(verifySecp256k1(m, sig, other.pubkey)).toBe(false);
      expect(verifySecp256k1(new Uint8Array([...m, 1]), sig, pubkey)).toBe(false);
      const tampered = sig.slice();
      tampered[5]! ^= 1;
      expect(verifySecp256k1(m, tampered, pubkey)).toBe(false);
    }
  });

  it("rejects the high-S twin of a valid signature, as the Cosmos SDK does", () => {
    const { privkey, pubkey } = keypair("carol");
    const m = messages[0]!;
    const sig = sign(m, privkey);
    const s = BigInt("0x" + Buffer.from(sig.subarray(32)).toString("hex"));
    const highS = Buffer.from((N - s).toString(16).padStart(64, "0"), "hex");
    const twin = new Uint8Array([...sig.subarray(0, 32), ...highS]);
    expect(verifySecp256k1(m, twin, pubkey)).toBe(false);
  });

  it("rejects malformed signature and key lengths without throwing", () => {
    const { privkey, pubkey } = keypair("dave");
    const m = messages[0]!;
    const sig = sign(m, privkey);
    expect(verifySecp256k1(m, sig.subarray(0, 63), pubkey)).toBe(false);
    expect(verifySecp256k1(m, sig, pubkey.subarray(1))).toBe(false);
    expect(verifySecp256k1(m, sig, new Uint8Array(33).fill(7))).toBe(false);
  });
});
