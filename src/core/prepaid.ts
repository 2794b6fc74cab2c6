import type { DebitOutcome, DebitPrice, PrepaidAccount } from "../ports/store.js";
import { formatCoins } from "../money.js";
import { allow, denyWithInvoice } from "./answers.js";
import { assetOf, pricesOf } from "./asset-deps.js";
import type { CoreDeps } from "./context.js";
import type { Decision } from "./decision.js";
import type { PrepaidAssetTopUp, PrepaidTopUp } from "./payment-required.js";
import type { RequestScope } from "./request-scope.js";

/** Response headers carrying the remaining prepaid balance (primary asset) after an allowed request. */
export const BALANCE_HEADER = "x-prepaid-balance";
export const BALANCE_MICRO_HEADER = "x-prepaid-balance-micro";
/** When the debit took another asset than the primary one: that asset ("<network> <denom>") and its balance left. */
export const PAID_ASSET_HEADER = "x-prepaid-paid-asset";
export const PAID_BALANCE_MICRO_HEADER = "x-prepaid-paid-balance-micro";

/**
 * The prices a prepaid debit may take, in order of preference: the route's prices in pricesOf order
 * (the primary asset first, then the configured order). The store debits the first whose balance covers
 * its price (docs/design.md "Prepaid balances per asset").
 */
export function debitPricesOf(deps: CoreDeps, scope: RequestScope): readonly DebitPrice[] {
  return pricesOf(deps, scope.price).map((p) => ({
    network: p.network,
    denom: p.denom,
    amountMicro: p.amountMicro,
    primary: assetOf(deps, p)?.primary ?? false,
  }));
}

/** The primary asset's balance after an applied debit (the ClawPurse headers keep meaning the primary asset). */
function primaryBalance(outcome: Extract<DebitOutcome, { kind: "applied" }>): bigint {
  return outcome.paid && !outcome.paid.primary ? (outcome.primaryBalanceMicro ?? 0n) : outcome.balanceMicro;
}

/** Per priced asset: the account's balance there, the price, and where to deposit. */
function assetTopUps(deps: CoreDeps, prices: readonly DebitPrice[], account: PrepaidAccount | null): PrepaidAssetTopUp[] {
  return prices.map((p) => {
    const held = p.primary
      ? account?.balanceMicro
      : account?.balances?.find((b) => b.network === p.network && b.denom === p.denom)?.balanceMicro;
    return {
      network: p.network,
      denom: p.denom,
      amountMicro: (held ?? 0n).toString(),
      priceMicro: p.amountMicro.toString(),
      depositAddress: assetOf(deps, p)?.payTo ?? deps.terms.payTo,
    };
  });
}

/**
 * Prepaid: one atomic conditional debit (key checked in the same statement) with its ledger entry, in the
 * first asset the route is priced in whose balance covers that price. Throws StoreUnavailableError (→ 503);
 * never charges when it fails.
 */
export async function payFromBalance(deps: CoreDeps, scope: RequestScope, clientId: string, keyHash: string): Promise<Decision> {
  const { facts, price, decisionId } = scope;
  const prices = debitPricesOf(deps, scope);
  const debit = { clientId, keyHash, amountMicro: price.priceMicro, prices, routeId: price.routeId, method: facts.method, ref: decisionId };
  const outcome = await deps.store.debit(debit);
  const charged = outcome.kind === "applied" && outcome.paid ? outcome.paid.amountMicro : price.priceMicro;
  deps.events.prepaidDebit({ result: outcome.kind, clientId, routeId: price.routeId, amountMicro: charged, decisionId });
  switch (outcome.kind) {
    case "applied": {
      const paid = outcome.paid && !outcome.paid.primary ? outcome.paid : undefined;
      deps.events.revenue({
        routeId: price.routeId,
        method: "prepaid",
        amountMicro: charged,
        ...(paid ? { network: paid.network, denom: paid.denom } : {}),
      });
      const left = primaryBalance(outcome);
      // Upstream sees the amount in the asset debited (x-gate402-amount-micro), as for invoices.
      const paidScope = { ...scope, price: { ...price, priceMicro: charged } };
      return allow(paidScope, "prepaid", {
        clientId,
        responseHeaders: {
          [BALANCE_HEADER]: formatCoins(left),
          [BALANCE_MICRO_HEADER]: left.toString(),
          ...(paid
            ? { [PAID_ASSET_HEADER]: `${paid.network} ${paid.denom}`, [PAID_BALANCE_MICRO_HEADER]: outcome.balanceMicro.toString() }
            : {}),
        },
      });
    }
    case "insufficient": {
      // Cold path: fetch the deposit memo and balances so the agent can top up without another round trip.
      const account = await deps.store.getAccount(clientId);
      const primaryMicro = account?.balanceMicro ?? outcome.balanceMicro;
      const topUp: PrepaidTopUp = {
        balance: formatCoins(primaryMicro),
        balanceMicro: primaryMicro.toString(),
        depositMemo: account?.depositMemo,
        depositAddress: deps.terms.payTo,
        topUp: account ? `clawpurse send ${deps.terms.payTo} <amount> --memo ${account.depositMemo} --yes` : undefined,
        balances: assetTopUps(deps, prices, account),
      };
      const detail =
        prices.length > 1
          ? `No prepaid balance covers the price in its asset (${prices.map((p) => `${p.amountMicro} ${p.denom}`).join(", ")})`
          : `Prepaid balance ${formatCoins(outcome.balanceMicro)} is below the price ${formatCoins(price.priceMicro)}`;
      return denyWithInvoice(deps, scope, { method: "prepaid", reason: "INSUFFICIENT_BALANCE", detail, topUp });
    }
    case "bad_credentials":
      return denyWithInvoice(deps, scope, {
        method: "prepaid",
        reason: "INVALID_CLIENT_CREDENTIALS",
        detail: "Unknown client id or wrong key",
      });
    case "suspended":
      return denyWithInvoice(deps, scope, { method: "prepaid", reason: "ACCOUNT_SUSPENDED", detail: "Prepaid account is suspended" });
  }
}
