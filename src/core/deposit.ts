import type { ChainPort } from "../ports/chain.js";
import type { StorePort } from "../ports/store.js";
import { apiError, type ApiError, type ApiStatusOf } from "./catalogue.js";
import { confirmations, paidTo } from "./payment-rules.js";

export interface DepositDeps {
  readonly chain: ChainPort;
  readonly store: StorePort;
  readonly payTo: string;
  readonly denom: string;
  readonly minConfirmations: number;
}

/** Codes a deposit is refused with (src/core/catalogue.ts API_ERRORS, "POST /prepaid/deposit"). */
export type DepositRefusal =
  "INVALID_CLIENT_CREDENTIALS" | "PAYMENT_NOT_FOUND" | "WRONG_RESOURCE" | "AWAITING_CONFIRMATION" | "PROOF_ALREADY_USED";

/** Result of crediting a deposit; a refusal is the HTTP API's error answer (status and `{error, message}`). */
export type DepositResult =
  | { readonly kind: "credited"; readonly replayed: boolean; readonly amountMicro: bigint; readonly balanceMicro: bigint }
  | ({ readonly kind: "refused" } & ApiError<DepositRefusal>);

const refuse = <C extends DepositRefusal>(code: C, message: string, status?: ApiStatusOf<C>): DepositResult =>
  ({ kind: "refused", ...apiError(code, message, status) });

/**
 * Credits an on-chain deposit to a prepaid account (POST /prepaid/deposit). The tx must succeed,
 * carry THIS account's deposit memo (so nobody can claim another's deposit), pay the payment address
 * in the denom, and be confirmed; the store claims the tx hash once, shared with invoice redemptions.
 * Throws ChainUnavailableError / StoreUnavailableError (→ 503).
 * @param txHash 64 hex chars
 */
export async function creditDeposit(deps: DepositDeps, clientId: string, txHash: string): Promise<DepositResult> {
  const account = await deps.store.getAccount(clientId);
  if (!account) return refuse("INVALID_CLIENT_CREDENTIALS", `Unknown prepaid account ${clientId}`);
  const tx = await deps.chain.getTx(txHash);
  if (!tx) return refuse("PAYMENT_NOT_FOUND", `Transaction ${txHash.toUpperCase()} not found on chain (yet)`);
  if (tx.code !== 0) return refuse("PAYMENT_NOT_FOUND", `Transaction ${tx.hash} failed on chain (code ${tx.code})`, 422);
  if (tx.memo !== account.depositMemo) return refuse("WRONG_RESOURCE", `Transaction ${tx.hash} memo is not this account's deposit memo`);
  const { paidMicro, payer } = paidTo(tx, deps.payTo, deps.denom);
  if (paidMicro === 0n) return refuse("PAYMENT_NOT_FOUND", `Transaction ${tx.hash} pays nothing to ${deps.payTo} in ${deps.denom}`, 422);
  if (deps.minConfirmations > 1) {
    const conf = confirmations(await deps.chain.latestHeight(), tx.height);
    if (conf < deps.minConfirmations) {
      return refuse("AWAITING_CONFIRMATION", `Transaction ${tx.hash} has ${conf} of ${deps.minConfirmations} confirmations`);
    }
  }
  const out = await deps.store.creditDeposit({ clientId, txHash: tx.hash, amountMicro: paidMicro, height: tx.height, sender: payer });
  switch (out.kind) {
    case "applied":
    case "replayed":
      return { kind: "credited", replayed: out.kind === "replayed", amountMicro: paidMicro, balanceMicro: out.balanceMicro };
    case "tx_used":
      return refuse("PROOF_ALREADY_USED", `Transaction ${tx.hash} already paid an invoice or another deposit`);
    case "unknown_account":
      return refuse("INVALID_CLIENT_CREDENTIALS", `Unknown prepaid account ${clientId}`);
  }
}
