/** ABCI result codes of Cosmos SDK 0.47 (codespace "sdk", types/errors/errors.go) that the devnet emits. */
export const SdkCode = {
  ok: 0,
  txDecode: 2,
  unauthorized: 4,
  insufficientFunds: 5,
  unknownRequest: 6,
  invalidAddress: 7,
  invalidPubKey: 8,
  unknownAddress: 9,
  invalidCoins: 10,
  outOfGas: 11,
  memoTooLarge: 12,
  insufficientFee: 13,
  noSignatures: 15,
  invalidRequest: 18,
  txInMempoolCache: 19,
  keyNotFound: 22,
  wrongSequence: 32,
} as const;

/** A tx rejected (CheckTx) or failed (DeliverTx) with an SDK code; `log` mirrors the SDK's wording. */
export class TxError extends Error {
  constructor(
    readonly code: number,
    readonly log: string,
    readonly codespace = "sdk",
  ) {
    super(log);
    this.name = "TxError";
  }
}
