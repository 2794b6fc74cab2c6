/**
 * Off-chain signature check of a signed payment, as the SDK 0.47 ante handler does it: the sign bytes
 * are rebuilt with OUR chain id and the account number the chain reports, so a tx signed for another
 * chain or account does not verify. Pure.
 */
import { makeSignDoc as makeAminoSignDoc, rawSecp256k1PubkeyToRawAddress, serializeSignDoc } from "@cosmjs/amino";
import { Secp256k1, Secp256k1Signature, sha256 } from "@cosmjs/crypto";
import { toBech32 } from "@cosmjs/encoding";
import { makeSignBytes, makeSignDoc } from "@cosmjs/proto-signing";
import { AminoTypes, createBankAminoConverters } from "@cosmjs/stargate";
import { MSG_SEND_TYPE_URL, type SignedPayment } from "./decode.js";

const aminoTypes = new AminoTypes(createBankAminoConverters());

/** bech32 address of a compressed secp256k1 pubkey. */
export function addressOf(pubkey: Uint8Array, prefix: string): string {
  return toBech32(prefix, rawSecp256k1PubkeyToRawAddress(pubkey));
}

function signBytes(tx: SignedPayment, chainId: string, accountNumber: bigint): Uint8Array {
  if (tx.signMode === "direct") return makeSignBytes(makeSignDoc(tx.raw.bodyBytes, tx.raw.authInfoBytes, chainId, accountNumber));
  const fee = tx.authInfo.fee;
  const stdFee = {
    amount: fee?.amount ?? [],
    gas: (fee?.gasLimit ?? 0n).toString(),
    ...(fee?.granter ? { granter: fee.granter } : {}),
    ...(fee?.payer ? { payer: fee.payer } : {}),
  };
  const msg = aminoTypes.toAmino({ typeUrl: MSG_SEND_TYPE_URL, value: tx.send });
  const timeout = tx.timeoutHeight > 0n ? tx.timeoutHeight : undefined;
  return serializeSignDoc(makeAminoSignDoc([msg], stdFee, chainId, tx.memo, accountNumber.toString(), tx.sequence.toString(), timeout));
}

/**
 * Whether the tx's single signature verifies for `pubkey` on `chainId` with `accountNumber`.
 * Signatures must be 64-byte low-S (r‖s), as the SDK requires.
 */
export function signatureValid(tx: SignedPayment, pubkey: Uint8Array, chainId: string, accountNumber: bigint): boolean {
  const sig = tx.raw.signatures[0];
  if (!sig || sig.length !== 64) return false;
  let parsed: Secp256k1Signature;
  try {
    parsed = Secp256k1Signature.fromFixedLength(sig);
  } catch {
    return false;
  }
  // Low-S only (SDK secp256k1 VerifySignature rejects malleable high-S signatures).
  const HALF_N = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n;
  if (BigInt("0x" + Buffer.from(parsed.s()).toString("hex")) > HALF_N) return false;
  try {
    return Secp256k1.verifySignature(parsed, sha256(signBytes(tx, chainId, accountNumber)), pubkey);
  } catch {
    return false;
  }
}
