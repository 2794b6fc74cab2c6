import type { ChainPort } from "../ports/chain.js";
import type { BalanceAsset, StorePort } from "../ports/store.js";
import { apiError, type ApiError, type ApiStatusOf } from "./catalogue.js";
import { confirmations, paidTo } from "./payment-rules.js";

/** A network deposits may be made on, with the assets they are credited in there (config order). */
export interface DepositNetwork {
  readonly chain: ChainPort;
  readonly payTo: string;
  readonly minConfirmations: number;
  readonly assets: readonly BalanceAsset[];
}

export interface DepositDeps {
  /** the primary network's chain, pay-to address, denom and confirmations */
  readonly chain: ChainPort;
  readonly store: StorePort;
  readonly payTo: string;
  readonly denom: string;
  readonly minConfirmations: number;
  /**
   * Every network deposits are credited on, the primary first (migration 0012: a balance per asset); the tx
   * is looked up on each in turn. Absent: the primary only, in `denom`.
   */
  readonly networks?: readonly DepositNetwork[];
}

function networksOf(deps: DepositDeps): readonly DepositNetwork[] {
  if (deps.networks && deps.networks.length > 0) return deps.networks;
  const assets = [{ network: "", denom: deps.denom, primary: true }];
  return [{ chain: deps.chain, payTo: deps.payTo, minConfirmations: deps.minConfirmations, assets }];
}

/** Codes a deposit is refused with (src/core/catalogue.ts API_ERRORS, "POST /prepaid/deposit"). */
export type DepositRefusal =
  | "INVALID_CLIENT_CREDENTIALS"
  | "PAYMENT_NOT_FOUND"
  | "WRONG_RESOURCE"
  | "AWAITING_CONFIRMATION"
  | "PROOF_ALREADY_USED";

/** Result of crediting a deposit; a refusal is the HTTP API's error answer (status and `{error, message}`). */
export type DepositResult =
  | {
      readonly kind: "credited";
      readonly replayed: boolean;
      /** credited, and the balance after, in `asset`'s smallest unit */
      readonly amountMicro: bigint;
      readonly balanceMicro: bigint;
      readonly asset: BalanceAsset;
    }
  | ({ readonly kind: "refused" } & ApiError<DepositRefusal>);

const refuse = <C extends DepositRefusal>(code: C, message: string, status?: ApiStatusOf<C>): DepositResult => ({
  kind: "refused",
  ...apiError(code, message, status),
});

/**
 * Credits an on-chain deposit to a prepaid account (POST /prepaid/deposit). The tx must succeed,
 * carry THIS account's deposit memo (so nobody can claim another's deposit), pay the payment address of
 * its network in one of that network's configured assets (the first it paid is credited: a balance per
 * asset), and be confirmed; the store claims the tx hash once, shared with invoice redemptions.
 * Throws ChainUnavailableError / StoreUnavailableError (→ 503).
 * @param txHash 64 hex chars
 */
export async function creditDeposit(deps: DepositDeps, clientId: string, txHash: string): Promise<DepositResult> {
  const account = await deps.store.getAccount(clientId);
  if (!account) return refuse("INVALID_CLIENT_CREDENTIALS", `Unknown prepaid account ${clientId}`);
  let found: { tx: NonNullable<Awaited<ReturnType<ChainPort["getTx"]>>>; net: DepositNetwork } | undefined;
  for (const net of networksOf(deps)) {
    const t = await net.chain.getTx(txHash);
    if (t) {
      found = { tx: t, net };
      break;
    }
  }
  if (!found) return refuse("PAYMENT_NOT_FOUND", `Transaction ${txHash.toUpperCase()} not found on chain (yet)`);
  const { tx, net } = found;
  if (tx.code !== 0) return refuse("PAYMENT_NOT_FOUND", `Transaction ${tx.hash} failed on chain (code ${tx.code})`, 422);
  if (tx.memo !== account.depositMemo) return refuse("WRONG_RESOURCE", `Transaction ${tx.hash} memo is not this account's deposit memo`);
  // The first of the network's assets the tx paid; a tx paying only other denoms credits nothing.
  const paid = net.assets.map((asset) => ({ asset, ...paidTo(tx, net.payTo, asset.denom) })).find((p) => p.paidMicro > 0n);
  if (!paid) {
    const denoms = net.assets.map((a) => a.denom).join(", ");
    return refuse("PAYMENT_NOT_FOUND", `Transaction ${tx.hash} pays nothing to ${net.payTo} in ${denoms}`, 422);
  }
  const { asset, paidMicro, payer } = paid;
  if (net.minConfirmations > 1) {
    const conf = confirmations(await net.chain.latestHeight(), tx.height);
    if (conf < net.minConfirmations) {
      return refuse("AWAITING_CONFIRMATION", `Transaction ${tx.hash} has ${conf} of ${net.minConfirmations} confirmations`);
    }
  }
  const out = await deps.store.creditDeposit({
    clientId,
    txHash: tx.hash,
    amountMicro: paidMicro,
    height: tx.height,
    sender: payer,
    ...(asset.primary ? {} : { asset }),
  });
  switch (out.kind) {
    case "applied":
    case "replayed":
      return { kind: "credited", replayed: out.kind === "replayed", amountMicro: paidMicro, balanceMicro: out.balanceMicro, asset };
    case "tx_used":
      return refuse("PROOF_ALREADY_USED", `Transaction ${tx.hash} already paid an invoice or another deposit`);
    case "unknown_account":
      return refuse("INVALID_CLIENT_CREDENTIALS", `Unknown prepaid account ${clientId}`);
  }
}
