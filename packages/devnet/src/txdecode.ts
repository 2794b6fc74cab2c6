/**
 * Decodes raw tx bytes (protobuf TxRaw → TxBody, AuthInfo) and the bank messages the devnet runs.
 * Throws TxError code 2 (tx parse error) for anything it cannot read, as SDK 0.47's TxDecoder does.
 */
import { fromBech32 } from "@cosmjs/encoding";
import { MsgMultiSend, MsgSend } from "cosmjs-types/cosmos/bank/v1beta1/tx";
import { AuthInfo, TxBody, TxRaw } from "cosmjs-types/cosmos/tx/v1beta1/tx";
import { SdkCode, TxError } from "./codes.js";
import { txHashHex } from "./util.js";

export const MSG_SEND = "/cosmos.bank.v1beta1.MsgSend";
export const MSG_MULTI_SEND = "/cosmos.bank.v1beta1.MsgMultiSend";

export type BankMsg =
  | { readonly typeUrl: typeof MSG_SEND; readonly value: MsgSend }
  | { readonly typeUrl: typeof MSG_MULTI_SEND; readonly value: MsgMultiSend };

/** Coin with the amount already parsed to micro-units. */
export interface CoinMicro {
  readonly denom: string;
  readonly amountMicro: bigint;
}

export interface DecodedTx {
  readonly bytes: Uint8Array;
  /** 64 uppercase hex chars */
  readonly hash: string;
  readonly raw: TxRaw;
  readonly body: TxBody;
  readonly authInfo: AuthInfo;
  readonly msgs: readonly BankMsg[];
  /** unique signer addresses in message order; the first pays the fee */
  readonly signers: readonly string[];
  readonly feeCoins: readonly CoinMicro[];
  readonly gasLimit: bigint;
}

function parseError(why: string): TxError {
  return new TxError(SdkCode.txDecode, `${why}: tx parse error`);
}

/** Parses coin amounts (base-10 strings) to bigint; rejects non-integers with code 10. */
export function toCoinsMicro(coins: ReadonlyArray<{ denom: string; amount: string }>): CoinMicro[] {
  return coins.map((c) => {
    if (!/^\d{1,40}$/.test(c.amount) || !/^[a-zA-Z][a-zA-Z0-9/:._-]{2,127}$/.test(c.denom)) {
      throw new TxError(SdkCode.invalidCoins, `invalid coin ${c.amount}${c.denom}: invalid coins`);
    }
    return { denom: c.denom, amountMicro: BigInt(c.amount) };
  });
}

function checkAddress(address: string, prefix: string): void {
  try {
    if (fromBech32(address, 90).prefix === prefix) return;
  } catch {
    // fall through to the SDK-style error below
  }
  throw new TxError(SdkCode.invalidAddress, `invalid address ${address}: invalid address`);
}

function decodeMsg(any: { typeUrl: string; value: Uint8Array }, prefix: string): { msg: BankMsg; signer: string } {
  if (any.typeUrl === MSG_SEND) {
    const value = MsgSend.decode(any.value);
    checkAddress(value.fromAddress, prefix);
    checkAddress(value.toAddress, prefix);
    return { msg: { typeUrl: MSG_SEND, value }, signer: value.fromAddress };
  }
  if (any.typeUrl === MSG_MULTI_SEND) {
    const value = MsgMultiSend.decode(any.value);
    // SDK 0.47 allows exactly one input in MsgMultiSend.
    if (value.inputs.length !== 1) throw new TxError(SdkCode.invalidRequest, "multiple senders not allowed");
    const signer = value.inputs[0]!.address;
    for (const io of [...value.inputs, ...value.outputs]) checkAddress(io.address, prefix);
    return { msg: { typeUrl: MSG_MULTI_SEND, value }, signer };
  }
  throw new TxError(SdkCode.unknownRequest, `unable to resolve type URL ${any.typeUrl}: tx parse error`, "sdk");
}

/**
 * Decodes tx bytes.
 * @param prefix bech32 prefix every address must carry
 * @throws TxError (2 parse error, 6 unknown message, 7 bad address, 10 bad coins, 12 memo too large)
 */
export function decodeTx(bytes: Uint8Array, prefix: string): DecodedTx {
  let raw: TxRaw, body: TxBody, authInfo: AuthInfo;
  try {
    raw = TxRaw.decode(bytes);
    body = TxBody.decode(raw.bodyBytes);
    authInfo = AuthInfo.decode(raw.authInfoBytes);
  } catch (e) {
    throw parseError(e instanceof Error ? e.message : "invalid protobuf");
  }
  if (body.messages.length === 0) throw parseError("must contain at least one message");
  if (body.memo.length > 256) throw new TxError(SdkCode.memoTooLarge, "maximum number of characters is 256: memo too large");
  const decoded = body.messages.map((m) => decodeMsg(m, prefix));
  const signers = [...new Set(decoded.map((d) => d.signer))];
  const fee = authInfo.fee;
  return {
    bytes,
    hash: txHashHex(bytes),
    raw,
    body,
    authInfo,
    msgs: decoded.map((d) => d.msg),
    signers,
    feeCoins: toCoinsMicro(fee?.amount ?? []),
    gasLimit: fee?.gasLimit ?? 0n,
  };
}
