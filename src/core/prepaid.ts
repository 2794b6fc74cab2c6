import { formatCoins } from "../money.js";
import { allow, denyWithInvoice } from "./answers.js";
import type { CoreDeps } from "./context.js";
import type { Decision } from "./decision.js";
import type { RequestFacts } from "./facts.js";
import type { Price } from "./pricing.js";

/** Response headers carrying the remaining prepaid balance after an allowed request. */
export const BALANCE_HEADER = "x-prepaid-balance";
export const BALANCE_MICRO_HEADER = "x-prepaid-balance-micro";

/**
 * Prepaid: one atomic conditional debit of the route price (key checked in the same statement) with
 * its ledger entry. Throws StoreUnavailableError (→ 503); never charges when it fails.
 */
export async function payFromBalance(
  deps: CoreDeps, facts: RequestFacts, price: Price, clientId: string, keyHash: string, decisionId: string, strip: readonly string[],
): Promise<Decision> {
  const outcome = await deps.store.debit({ clientId, keyHash, amountMicro: price.priceMicro, routeId: price.routeId, method: facts.method, ref: decisionId });
  deps.events.prepaidDebit({ result: outcome.kind, clientId, routeId: price.routeId, amountMicro: price.priceMicro, decisionId });
  switch (outcome.kind) {
    case "applied":
      deps.events.revenue({ routeId: price.routeId, method: "prepaid", amountMicro: price.priceMicro });
      return allow(decisionId, "prepaid", price, strip, {
        clientId,
        responseHeaders: { [BALANCE_HEADER]: formatCoins(outcome.balanceMicro), [BALANCE_MICRO_HEADER]: outcome.balanceMicro.toString() },
      });
    case "insufficient": {
      // Cold path: fetch the deposit memo so the agent can top up without another round trip.
      const account = await deps.store.getAccount(clientId);
      const topUp = {
        balance: formatCoins(outcome.balanceMicro), balanceMicro: outcome.balanceMicro.toString(),
        depositMemo: account?.depositMemo, depositAddress: deps.terms.payTo,
        topUp: account ? `clawpurse send ${deps.terms.payTo} <amount> --memo ${account.depositMemo} --yes` : undefined,
      };
      const detail = `Prepaid balance ${formatCoins(outcome.balanceMicro)} is below the price ${formatCoins(price.priceMicro)}`;
      const d = denyWithInvoice(deps, facts, price, decisionId, "prepaid", "INSUFFICIENT_BALANCE", detail);
      return { ...d, body: { ...d.body, prepaid: { ...(d.body["prepaid"] as object | undefined), ...topUp } } };
    }
    case "bad_credentials":
      return denyWithInvoice(deps, facts, price, decisionId, "prepaid", "INVALID_CLIENT_CREDENTIALS", "Unknown client id or wrong key");
    case "suspended":
      return denyWithInvoice(deps, facts, price, decisionId, "prepaid", "ACCOUNT_SUSPENDED", "Prepaid account is suspended");
  }
}
