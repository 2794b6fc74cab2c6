/**
 * The ante handler (SDK 0.47 x/auth/ante, condensed): signer count, gas, minimum gas price, fee payer,
 * pubkeys, sequences and signatures are all checked before anything is written, then the fee is moved
 * to the fee collector and sequences are bumped. Runs at CheckTx (on the mempool overlay), DeliverTx
 * (on the committed ledger) and Simulate (overlay, signatures and fee floor skipped).
 */
import { toBase64 } from "@cosmjs/encoding";
import { SdkCode, TxError } from "./codes.js";
import { coinsString, event, sendCoinsEvents, type AbciEvent } from "./events.js";
import type { AccountInfo, LedgerView } from "./ledger.js";
import { pubkeyAddress, signerPubkey, verifySignature } from "./signature.js";
import { MSG_SEND, type DecodedTx } from "./txdecode.js";

export type AnteMode = "check" | "deliver" | "simulate";

export interface AnteContext {
  readonly chainId: string;
  readonly prefix: string;
  readonly denom: string;
  /** minimum gas price as a fraction: 0.025 = 25/1000 (micro-units per gas unit) */
  readonly minGasPrice: { readonly num: bigint; readonly den: bigint };
  readonly feeCollector: string;
}

/**
 * Deterministic gas model shaped like SDK 0.47's: 10 per tx byte (TxSizeCostPerByte), 1000 per secp256k1
 * signature (SigVerifyCostSecp256k1), a flat base, and a cost per message / multi-send output.
 */
export function gasUsed(tx: DecodedTx): bigint {
  let gas = 30_000n + 10n * BigInt(tx.bytes.length) + 1_000n * BigInt(tx.signers.length);
  for (const m of tx.msgs) gas += m.typeUrl === MSG_SEND ? 25_000n : 25_000n + 8_000n * BigInt(m.value.outputs.length);
  return gas;
}

function checkGasAndFee(tx: DecodedTx, ctx: AnteContext, mode: AnteMode): void {
  const used = gasUsed(tx);
  if (mode !== "simulate" && tx.gasLimit < used) {
    throw new TxError(SdkCode.outOfGas, `out of gas in location: txSize; gasWanted: ${tx.gasLimit}, gasUsed: ${used}: out of gas`);
  }
  if (mode !== "check") return;
  const { num, den } = ctx.minGasPrice;
  const requiredMicro = (tx.gasLimit * num + den - 1n) / den;
  const paid = tx.feeCoins.find((c) => c.denom === ctx.denom)?.amountMicro ?? 0n;
  if (paid < requiredMicro) {
    const got = coinsString(tx.feeCoins) || "0" + ctx.denom;
    throw new TxError(SdkCode.insufficientFee, `insufficient fees; got: ${got} required: ${requiredMicro}${ctx.denom}: insufficient fee`);
  }
}

function checkSigner(
  tx: DecodedTx,
  i: number,
  view: LedgerView,
  ctx: AnteContext,
  mode: AnteMode,
): { acc: AccountInfo; pubkey: Uint8Array } {
  const signer = tx.signers[i]!;
  const acc = view.account(signer);
  if (!acc) throw new TxError(SdkCode.unknownAddress, `account ${signer} does not exist: unknown address`);
  const pubkey = signerPubkey(tx, i) ?? acc.pubkey;
  if (!pubkey) throw new TxError(SdkCode.invalidPubKey, `pubkey on account is not set: invalid pubkey`);
  if (pubkeyAddress(pubkey, ctx.prefix) !== signer) {
    throw new TxError(SdkCode.invalidPubKey, `pubKey does not match signer address ${signer} with signer index: ${i}: invalid pubkey`);
  }
  const seq = tx.authInfo.signerInfos[i]!.sequence;
  if (seq !== BigInt(acc.sequence)) {
    throw new TxError(SdkCode.wrongSequence, `account sequence mismatch, expected ${acc.sequence}, got ${seq}: incorrect account sequence`);
  }
  if (mode !== "simulate") verifySignature(tx, i, pubkey, ctx.chainId, acc.accountNumber);
  return { acc, pubkey };
}

function checkFeeFunds(tx: DecodedTx, view: LedgerView): void {
  const payer = tx.signers[0]!;
  for (const c of tx.feeCoins) {
    const have = view.balance(payer, c.denom);
    if (have < c.amountMicro) {
      throw new TxError(
        SdkCode.insufficientFunds,
        `insufficient funds to pay for fees; ${have}${c.denom} < ${coinsString(tx.feeCoins)}: insufficient funds`,
      );
    }
  }
}

/**
 * Runs the ante checks and, when all pass, applies fee and sequences to `view`.
 * @returns the ante events (fee transfer, tx{fee,fee_payer}, tx{acc_seq}, tx{signature})
 * @throws TxError with nothing applied: 4, 5, 8, 9, 11, 13, 15, 32
 */
export function runAnte(tx: DecodedTx, view: LedgerView, ctx: AnteContext, mode: AnteMode): AbciEvent[] {
  const n = tx.signers.length;
  if (tx.authInfo.signerInfos.length !== n || (mode !== "simulate" && tx.raw.signatures.length !== n)) {
    throw new TxError(SdkCode.unauthorized, `wrong number of signers; expected ${n}, got ${tx.raw.signatures.length}: unauthorized`);
  }
  checkGasAndFee(tx, ctx, mode);
  const checked = tx.signers.map((_, i) => checkSigner(tx, i, view, ctx, mode));
  checkFeeFunds(tx, view);

  const payer = tx.signers[0]!;
  const events: AbciEvent[] = [];
  const fee = tx.feeCoins.filter((c) => c.amountMicro > 0n);
  if (fee.length > 0) {
    for (const c of fee) {
      view.addBalance(payer, c.denom, -c.amountMicro);
      view.addBalance(ctx.feeCollector, c.denom, c.amountMicro);
    }
    events.push(...sendCoinsEvents(payer, ctx.feeCollector, fee));
  }
  events.push(event("tx", ["fee", coinsString(fee)], ["fee_payer", payer]));
  checked.forEach(({ acc, pubkey }, i) => {
    view.setPubkey(tx.signers[i]!, pubkey);
    events.push(event("tx", ["acc_seq", `${acc.address}/${acc.sequence}`]));
  });
  tx.raw.signatures.forEach((sig) => events.push(event("tx", ["signature", toBase64(sig)])));
  for (const s of tx.signers) view.incrementSequence(s);
  return events;
}
