import { formatCoins } from "../money.js";
import { allow, denyWithInvoice } from "./answers.js";
import type { CoreDeps } from "./context.js";
import type { Decision } from "./decision.js";
import type { PrepaidTopUp } from "./payment-required.js";
import type { RequestScope } from "./request-scope.js";

/** Response headers carrying the remaining prepaid balance after an allowed request. */
export const BALANCE_HEADER = "x-prepaid-balance";
export const BALANCE_MICRO_HEADER = "x-prepaid-balance-micro";

/**
 * Prepaid: one atomic conditional debit of the route price (key checked in the same statement) with
 * its ledger entry. Throws StoreUnavailableError (→ 503); never charges when it fails.
 */
export async function payFromBalance(deps: CoreDeps, scope: RequestScope, clientId: string, keyHash: string): Promise<Decision> {
  const { facts, price, decisionId } = scope;
  const debit = { clientId, keyHash, amountMicro: price.priceMicro, routeId: price.routeId, method: facts.method, ref: decisionId };
  const outcome = await deps.store.debit(debit);
  deps.events.prepaidDebit({ result: outcome.kind, clientId, routeId: price.routeId, amountMicro: price.priceMicro, decisionId });
  switch (outcome.kind) {
    case "applied":
      deps.events.revenue({ routeId: price.routeId, method: "prepaid", amountMicro: price.priceMicro });
      return allow(scope, "prepaid", {
        clientId,
        responseHeaders: { [BALANCE_HEADER]: formatCoins(outcome.balanceMicro), [BALANCE_MICRO_HEADER]: outcome.balanceMicro.toString() },
      });
    case "insufficient": {
      // Cold path: fetch the deposit memo so the agent can top up without another round trip.
      const account = await deps.store.getAccount(clientId);
      const topUp: PrepaidTopUp = {
        balance: formatCoins(outcome.balanceMicro), balanceMicro: outcome.balanceMicro.toString(),
        depositMemo: account?.depositMemo, depositAddress: deps.terms.payTo,
        topUp: account ? `clawpurse send ${deps.terms.payTo} <amount> --memo ${account.depositMemo} --yes` : undefined,
      };
      const detail = `Prepaid balance ${formatCoins(outcome.balanceMicro)} is below the price ${formatCoins(price.priceMicro)}`;
      return denyWithInvoice(deps, scope, { method: "prepaid", reason: "INSUFFICIENT_BALANCE", detail, topUp });
    }
    case "bad_credentials":
      return denyWithInvoice(deps, scope, {
        method: "prepaid", reason: "INVALID_CLIENT_CREDENTIALS", detail: "Unknown client id or wrong key",
      });
    case "suspended":
      return denyWithInvoice(deps, scope, { method: "prepaid", reason: "ACCOUNT_SUSPENDED", detail: "Prepaid account is suspended" });
  }
}
