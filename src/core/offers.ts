import { parseBundleList, type BundleOffer, type PassOffer } from "./offer-terms.js";
import type { CoreDeps } from "./context.js";
import type { RequestFacts } from "./facts.js";
import type { Invoice } from "./invoices.js";
import { PriceConfigError, type Price } from "./pricing.js";

/**
 * Offers besides a single request (docs/design.md "Offers: bundles and passes"): bundles of N requests on one route
 * and method, and passes for a scope. Each offer is its own invoice, bound by the invoice MAC to what
 * it sells: bundles to route, method, price and uses; passes to scope (as the route id, method "PASS"),
 * price and lifetime. Pure: no I/O.
 */

/** Method an invoice for a pass is bound to: passes cover every method of their scope. */
export const PASS_METHOD = "PASS";

export interface RouteOffers {
  readonly bundles: readonly BundleOffer[];
  /** scope of the route (route table `scope`), when it has one */
  readonly scope?: string;
  readonly passes: readonly PassOffer[];
}

const NONE: RouteOffers = Object.freeze({ bundles: [], passes: [] });
// context_extensions come from Envoy config: few distinct strings, parsed once each.
const ceBundles = new Map<string, readonly BundleOffer[]>();

function bundlesFromExtensions(text: string): readonly BundleOffer[] {
  const cached = ceBundles.get(text);
  if (cached) return cached;
  const problems: string[] = [];
  const list = parseBundleList(text, "context_extensions bundles", problems);
  if (problems.length) throw new PriceConfigError(problems.join("; "));
  if (ceBundles.size < 256) ceBundles.set(text, list);
  return list;
}

/**
 * What the route of this request sells besides one request: context_extensions `bundles` first, then
 * the matched route rule's `bundles`; scope and passes from the rule.
 * @throws PriceConfigError when context_extensions carry an unparsable bundle list
 */
export function routeOffers(facts: RequestFacts, price: Price): RouteOffers {
  const ce = facts.contextExtensions["bundles"];
  const rule = price.rule;
  if (ce === undefined && (rule === undefined || (rule.bundles === undefined && rule.scope === undefined))) return NONE;
  return {
    bundles: ce !== undefined ? bundlesFromExtensions(ce) : (rule?.bundles ?? []),
    ...(rule?.scope !== undefined && { scope: rule.scope }),
    passes: rule?.passes ?? [],
  };
}

/**
 * Binding check for an invoice that sells more than one request; undefined when it is fine.
 * Single-request invoices are checked by the caller (method, route id, price).
 */
export function offerBindingProblem(inv: Invoice, facts: RequestFacts, price: Price): string | undefined {
  const offers = routeOffers(facts, price);
  if (inv.passSeconds !== undefined) {
    if (offers.scope !== inv.routeId)
      return `Pass invoice is for scope "${inv.routeId}", not this route's${offers.scope ? ` scope "${offers.scope}"` : ""}`;
    if (inv.method !== PASS_METHOD || inv.uses !== 1) return "Pass invoice is malformed";
    const sold = offers.passes.some((p) => p.seconds === inv.passSeconds && p.priceMicro === inv.amountMicro);
    return sold ? undefined : `Scope "${inv.routeId}" sells no ${inv.passSeconds}-second pass at ${inv.amountMicro}`;
  }
  if (inv.method !== facts.method) return `Invoice is for ${inv.method}, not ${facts.method}`;
  if (inv.routeId !== price.routeId) return `Invoice is for route "${inv.routeId}", not "${price.routeId}"`;
  const sold = offers.bundles.some((b) => b.uses === inv.uses && b.priceMicro === inv.amountMicro);
  return sold ? undefined : `Route "${price.routeId}" sells no bundle of ${inv.uses} at ${inv.amountMicro}`;
}

/** True for an invoice that buys more than one request (a bundle) or a pass. */
export function isOfferInvoice(inv: Invoice): boolean {
  return inv.uses !== 1 || inv.passSeconds !== undefined;
}

/** One issued offer: the invoice and what it sells. */
export type IssuedOffer =
  | { readonly kind: "bundle"; readonly invoice: Invoice; readonly uses: number }
  | { readonly kind: "pass"; readonly invoice: Invoice; readonly scope: string; readonly seconds: number; readonly renewal: boolean };

/**
 * Issues one invoice per offer of this route (no I/O: HMAC tokens).
 * @param renewal marks the pass offers as renewing an expired pass
 */
export function issueOffers(deps: CoreDeps, facts: RequestFacts, price: Price, renewal = false): IssuedOffer[] {
  const offers = routeOffers(facts, price);
  if (offers.bundles.length === 0 && offers.passes.length === 0) return [];
  const base = {
    expiresAt: Math.floor(deps.clock() / 1000) + deps.invoiceTtlSeconds,
    issueHeight: Math.max(0, deps.lastKnownHeight() - 1),
  };
  const out: IssuedOffer[] = offers.bundles.map((b) => ({
    kind: "bundle",
    uses: b.uses,
    invoice: deps.codec.issue({
      ...base,
      amountMicro: b.priceMicro,
      method: facts.method,
      routeId: price.routeId,
      nonce: deps.nonce(),
      uses: b.uses,
    }),
  }));
  const scope = offers.scope;
  if (scope !== undefined && deps.passes) {
    for (const p of offers.passes) {
      const invoice = deps.codec.issue({
        ...base,
        amountMicro: p.priceMicro,
        method: PASS_METHOD,
        routeId: scope,
        nonce: deps.nonce(),
        uses: 1,
        passSeconds: p.seconds,
      });
      out.push({ kind: "pass", invoice, scope, seconds: p.seconds, renewal });
    }
  }
  return out;
}
