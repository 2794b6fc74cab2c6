/**
 * The off-chain rules for a signed payment (docs/design.md additions, issue 16): the first and only
 * message is a MsgSend from the signer to our payment address, in our denom, for at least the price;
 * the memo names the payment this tx is bound to; the authorization restates the tx; nothing expired;
 * the signature verifies for our chain id and the account number the chain reports; the sequence is
 * not already spent. Pure: the account facts come in as values.
 */
import type { ReasonCode } from "../reasons.js";
import type { SignedPayment } from "./decode.js";
import { addressOf, signatureValid } from "./signature.js";

/** `payload.authorization` of the Cosmos exact scheme: a plain restatement of the signed MsgSend. */
export interface SignedAuthorization {
  readonly from: string;
  readonly to: string;
  /** micro-units, decimal string */
  readonly amount: string;
  readonly denom: string;
  /** unix seconds after which the payer no longer wants this tx settled */
  readonly timeoutAt?: number;
}

/** What the tx must satisfy. */
export interface SignedExpectations {
  readonly chainId: string;
  /** bech32 prefix of addresses on the chain, "neutaro" */
  readonly prefix: string;
  readonly payTo: string;
  readonly denom: string;
  /** price in micro-units (bigint) */
  readonly minAmountMicro: bigint;
  /** the memo the tx must carry (invoice id or facilitator nonce) */
  readonly memo: string;
  /** unix seconds: the payment request's own expiry */
  readonly expiresAt: number;
  /** unix seconds */
  readonly nowSec: number;
  /** latest block height known (0 = unknown: the timeout-height rule is left to CheckTx) */
  readonly latestHeight: number;
}

/** The signer's on-chain account (auth module). */
export interface SignerAccount {
  readonly accountNumber: bigint;
  /** next sequence the chain expects (committed state) */
  readonly sequence: bigint;
  /** pubkey stored on chain, when the account has signed before */
  readonly pubkey?: Uint8Array;
}

export type SignedCheck =
  | { readonly ok: true; readonly payer: string; readonly paidMicro: bigint }
  | { readonly ok: false; readonly reason: ReasonCode; readonly message: string };

const no = (reason: ReasonCode, message: string): SignedCheck => ({ ok: false, reason, message });

/** Amount of `denom` the MsgSend moves, in micro-units (bigint); 0n when absent or malformed. */
export function sendAmount(tx: SignedPayment, denom: string): bigint {
  let sum = 0n;
  for (const c of tx.send.amount) if (c.denom === denom && /^\d{1,40}$/.test(c.amount)) sum += BigInt(c.amount);
  return sum;
}

/** Rules that need no chain facts: what the tx pays, to whom, for what, until when. */
export function checkTerms(tx: SignedPayment, auth: SignedAuthorization | undefined, x: SignedExpectations): SignedCheck {
  const paid = sendAmount(tx, x.denom);
  if (tx.send.toAddress !== x.payTo) return no("PAYMENT_NOT_FOUND", `Signed transaction pays ${tx.send.toAddress}, not ${x.payTo}`);
  if (paid === 0n) return no("PAYMENT_NOT_FOUND", `Signed transaction pays nothing in ${x.denom}`);
  if (paid < x.minAmountMicro) return no("INSUFFICIENT_AMOUNT", `Signed transaction pays ${paid} of ${x.minAmountMicro} ${x.denom}`);
  if (tx.memo !== x.memo) return no("WRONG_RESOURCE", "Signed transaction memo does not name this payment request");
  if (x.nowSec > x.expiresAt) return no("INVOICE_EXPIRED", "The payment request expired before the signed transaction arrived");
  if (auth) {
    if (auth.from !== tx.send.fromAddress || auth.to !== tx.send.toAddress || auth.denom !== x.denom || auth.amount !== paid.toString()) {
      return no("INVALID_PROOF", "payload.authorization does not match the signed MsgSend");
    }
    if (auth.timeoutAt !== undefined && x.nowSec > auth.timeoutAt)
      return no("INVOICE_EXPIRED", "The signed payment's authorization timed out");
  }
  if (tx.timeoutHeight > 0n && x.latestHeight > 0 && tx.timeoutHeight <= BigInt(x.latestHeight)) {
    return no("INVOICE_EXPIRED", `Signed transaction timed out at height ${tx.timeoutHeight}`);
  }
  return { ok: true, payer: tx.send.fromAddress, paidMicro: paid };
}

/**
 * Everything: terms, then signer key, sequence and signature against the chain's account.
 * @param account null when the chain has no account for the signer (it can pay nothing)
 */
export function checkSignedPayment(
  tx: SignedPayment,
  auth: SignedAuthorization | undefined,
  x: SignedExpectations,
  account: SignerAccount | null,
): SignedCheck {
  const terms = checkTerms(tx, auth, x);
  if (!terms.ok) return terms;
  if (!account) return no("PAYMENT_NOT_FOUND", `Account ${tx.send.fromAddress} does not exist on chain`);
  const pubkey = tx.pubkey ?? account.pubkey;
  if (!pubkey) return no("INVALID_PROOF", "Signed transaction carries no pubkey and the account has none on chain");
  if (addressOf(pubkey, x.prefix) !== tx.send.fromAddress) return no("INVALID_PROOF", "Signer key is not the MsgSend sender's");
  if (tx.sequence < account.sequence)
    return no("PROOF_ALREADY_USED", `Sequence ${tx.sequence} of ${tx.send.fromAddress} is already spent (next is ${account.sequence})`);
  if (!signatureValid(tx, pubkey, x.chainId, account.accountNumber)) {
    return no("INVALID_PROOF", `Signature does not verify for chain id ${x.chainId} and account number ${account.accountNumber}`);
  }
  return terms;
}
