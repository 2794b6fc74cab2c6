/**
 * Signature verification of Cosmos SDK 0.47's SigVerificationDecorator for single secp256k1 keys:
 * SIGN_MODE_DIRECT (SignDoc protobuf) and SIGN_MODE_LEGACY_AMINO_JSON (sorted StdSignDoc JSON), both
 * hashed with sha256 and checked as secp256k1 ECDSA (low-S only, see secp256k1.ts). Results are cached per tx hash, so the
 * DeliverTx re-check of a tx already verified at CheckTx costs a map lookup.
 */
import { makeSignDoc as makeAminoSignDoc, rawSecp256k1PubkeyToRawAddress, serializeSignDoc } from "@cosmjs/amino";
import { toBech32 } from "@cosmjs/encoding";
import { makeSignBytes, makeSignDoc } from "@cosmjs/proto-signing";
import { AminoTypes, createBankAminoConverters } from "@cosmjs/stargate";
import { PubKey } from "cosmjs-types/cosmos/crypto/secp256k1/keys";
import { SignMode } from "cosmjs-types/cosmos/tx/signing/v1beta1/signing";
import { MsgMultiSend, MsgSend } from "cosmjs-types/cosmos/bank/v1beta1/tx";
import { SdkCode, TxError } from "./codes.js";
import { verifySecp256k1 } from "./secp256k1.js";
import { MSG_SEND, type DecodedTx } from "./txdecode.js";

const SECP256K1_PUBKEY = "/cosmos.crypto.secp256k1.PubKey";
const aminoTypes = new AminoTypes(createBankAminoConverters());
const verified = new Set<string>();
const CACHE_LIMIT = 100_000;

/**
 * The compressed secp256k1 pubkey in signer info `i`, or undefined when the tx leaves it out.
 * @throws TxError 8 (invalid pubkey) for other key types
 */
export function signerPubkey(tx: DecodedTx, i: number): Uint8Array | undefined {
  const any = tx.authInfo.signerInfos[i]?.publicKey;
  if (!any) return undefined;
  if (any.typeUrl !== SECP256K1_PUBKEY) throw new TxError(SdkCode.invalidPubKey, `unsupported pubkey ${any.typeUrl}: invalid pubkey`);
  const key = PubKey.decode(any.value).key;
  if (key.length !== 33) throw new TxError(SdkCode.invalidPubKey, "secp256k1 pubkey must be 33 bytes: invalid pubkey");
  return key;
}

/** bech32 address of a compressed secp256k1 pubkey (ripemd160(sha256(pubkey))). */
export function pubkeyAddress(pubkey: Uint8Array, prefix: string): string {
  return toBech32(prefix, rawSecp256k1PubkeyToRawAddress(pubkey));
}

function aminoSignBytes(tx: DecodedTx, chainId: string, accountNumber: number, sequence: bigint): Uint8Array {
  const msgs = tx.msgs.map((m) =>
    aminoTypes.toAmino(
      m.typeUrl === MSG_SEND
        ? { typeUrl: m.typeUrl, value: MsgSend.fromPartial(m.value) }
        : { typeUrl: m.typeUrl, value: MsgMultiSend.fromPartial(m.value) },
    ),
  );
  const fee = tx.authInfo.fee;
  const stdFee = {
    amount: fee?.amount ?? [],
    gas: (fee?.gasLimit ?? 0n).toString(),
    ...(fee?.granter ? { granter: fee.granter } : {}),
    ...(fee?.payer ? { payer: fee.payer } : {}),
  };
  const timeout = tx.body.timeoutHeight > 0n ? tx.body.timeoutHeight : undefined;
  const doc = makeAminoSignDoc(msgs, stdFee, chainId, tx.body.memo, accountNumber, sequence.toString(), timeout);
  return serializeSignDoc(doc);
}

/**
 * Verifies signature `i` of `tx` against `pubkey`.
 * @throws TxError 4 (unauthorized) when the signature does not verify or the sign mode is unsupported
 */
export function verifySignature(tx: DecodedTx, i: number, pubkey: Uint8Array, chainId: string, accountNumber: number): void {
  const cacheKey = `${tx.hash}|${i}|${chainId}|${accountNumber}`;
  if (verified.has(cacheKey)) return;
  const info = tx.authInfo.signerInfos[i]!;
  const mode = info.modeInfo?.single?.mode;
  let signBytes: Uint8Array;
  if (mode === SignMode.SIGN_MODE_DIRECT) {
    signBytes = makeSignBytes(makeSignDoc(tx.raw.bodyBytes, tx.raw.authInfoBytes, chainId, accountNumber));
  } else if (mode === SignMode.SIGN_MODE_LEGACY_AMINO_JSON) {
    signBytes = aminoSignBytes(tx, chainId, accountNumber, info.sequence);
  } else {
    throw new TxError(SdkCode.unauthorized, `unsupported sign mode ${String(mode)}: unauthorized`);
  }
  const sig = tx.raw.signatures[i] ?? new Uint8Array();
  if (!verifySecp256k1(signBytes, sig, pubkey)) {
    throw new TxError(
      SdkCode.unauthorized,
      `signature verification failed; please verify account number (${accountNumber}) and chain-id (${chainId}): unauthorized`,
    );
  }
  if (verified.size >= CACHE_LIMIT) verified.clear();
  verified.add(cacheKey);
}
