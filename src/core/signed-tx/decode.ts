/**
 * Decodes the signed-transaction payload of the Cosmos `exact` x402 scheme: `payload.signedTx` is the
 * base64 protobuf `TxRaw` of a single-signer bank `MsgSend`. Pure: no I/O. Never throws; malformed
 * input is a value (rendered as 400 INVALID_PROOF).
 */
import { sha256 } from "@cosmjs/crypto";
import { fromBase64, toHex } from "@cosmjs/encoding";
import { MsgSend } from "cosmjs-types/cosmos/bank/v1beta1/tx";
import { PubKey } from "cosmjs-types/cosmos/crypto/secp256k1/keys";
import { SignMode } from "cosmjs-types/cosmos/tx/signing/v1beta1/signing";
import { AuthInfo, TxBody, TxRaw } from "cosmjs-types/cosmos/tx/v1beta1/tx";

export const MSG_SEND_TYPE_URL = "/cosmos.bank.v1beta1.MsgSend";
const SECP256K1_PUBKEY = "/cosmos.crypto.secp256k1.PubKey";
/** A MsgSend tx is ~300 bytes; anything far bigger is not a payment. */
const MAX_TX_BYTES = 4096;

/** A decoded signed payment: what off-chain verification needs. */
export interface SignedPayment {
  /** the TxRaw bytes as broadcast */
  readonly bytes: Uint8Array;
  /** sha256 of the TxRaw bytes: the tx hash the chain will index, 64 uppercase hex */
  readonly hash: string;
  readonly raw: TxRaw;
  readonly body: TxBody;
  readonly authInfo: AuthInfo;
  /** the first (and only) message */
  readonly send: MsgSend;
  readonly memo: string;
  /** compressed secp256k1 pubkey of the signer, when the tx carries it */
  readonly pubkey?: Uint8Array;
  readonly sequence: bigint;
  readonly signMode: "direct" | "amino-json";
  /** 0n when the tx sets no timeout height */
  readonly timeoutHeight: bigint;
}

export type DecodeResult = { readonly ok: true; readonly tx: SignedPayment } | { readonly ok: false; readonly message: string };

const bad = (message: string): DecodeResult => ({ ok: false, message });

function signModeOf(mode: SignMode | undefined): SignedPayment["signMode"] | undefined {
  if (mode === SignMode.SIGN_MODE_DIRECT) return "direct";
  if (mode === SignMode.SIGN_MODE_LEGACY_AMINO_JSON) return "amino-json";
  return undefined;
}

function decodeParts(bytes: Uint8Array): { raw: TxRaw; body: TxBody; authInfo: AuthInfo } | string {
  try {
    const raw = TxRaw.decode(bytes);
    return { raw, body: TxBody.decode(raw.bodyBytes), authInfo: AuthInfo.decode(raw.authInfoBytes) };
  } catch (e) {
    return `signedTx is not a protobuf TxRaw: ${(e as Error).message}`;
  }
}

/**
 * Decodes `signedTx` (standard or URL-safe base64 of TxRaw bytes).
 * @returns the payment, or why it is not one single-signer MsgSend signed with SIGN_MODE_DIRECT or
 *   SIGN_MODE_LEGACY_AMINO_JSON by a secp256k1 key
 */
export function decodeSignedTx(signedTx: string): DecodeResult {
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(signedTx)) return bad("signedTx must be base64");
  let bytes: Uint8Array;
  try {
    bytes = fromBase64(signedTx.replace(/-/g, "+").replace(/_/g, "/"));
  } catch {
    return bad("signedTx must be base64");
  }
  if (bytes.length === 0 || bytes.length > MAX_TX_BYTES) return bad(`signedTx must be 1..${MAX_TX_BYTES} bytes`);
  const parts = decodeParts(bytes);
  if (typeof parts === "string") return bad(parts);
  const { raw, body, authInfo } = parts;
  if (body.messages.length !== 1 || body.messages[0]!.typeUrl !== MSG_SEND_TYPE_URL) {
    return bad(`signedTx must carry exactly one ${MSG_SEND_TYPE_URL}`);
  }
  if (authInfo.signerInfos.length !== 1 || raw.signatures.length !== 1)
    return bad("signedTx must have exactly one signer and one signature");
  let send: MsgSend;
  try {
    send = MsgSend.decode(body.messages[0]!.value);
  } catch {
    return bad("signedTx message is not a MsgSend");
  }
  const info = authInfo.signerInfos[0]!;
  const signMode = signModeOf(info.modeInfo?.single?.mode);
  if (!signMode) return bad("signedTx must be signed with SIGN_MODE_DIRECT or SIGN_MODE_LEGACY_AMINO_JSON");
  let pubkey: Uint8Array | undefined;
  if (info.publicKey) {
    if (info.publicKey.typeUrl !== SECP256K1_PUBKEY) return bad(`unsupported signer key ${info.publicKey.typeUrl}`);
    try {
      pubkey = PubKey.decode(info.publicKey.value).key;
    } catch {
      return bad("signer pubkey does not decode");
    }
    if (pubkey.length !== 33) return bad("signer pubkey must be a 33-byte compressed secp256k1 key");
  }
  return {
    ok: true,
    tx: {
      bytes,
      hash: toHex(sha256(bytes)).toUpperCase(),
      raw,
      body,
      authInfo,
      send,
      memo: body.memo,
      pubkey,
      sequence: info.sequence,
      signMode,
      timeoutHeight: body.timeoutHeight,
    },
  };
}
