import { parseCoins } from "../money.js";
import { ROUTE_ID_RE, type RouteRule } from "../config/routes.js";
import type { RequestFacts } from "./facts.js";

/** What a request costs and which route id it is billed and labelled under. */
export interface Price {
  /** bounded route id (from config or context_extensions), or "default" */
  readonly routeId: string;
  /** price in uneutaro (bigint); 0n when free */
  readonly priceMicro: bigint;
  readonly source: "context_extensions" | "route_table" | "default";
  /** the route-table rule the path matched, when it sells bundles or passes (offers.ts) */
  readonly rule?: RouteRule;
}

/** The operator's price list; a function so the route table can be reloaded at run time. */
export interface PriceList {
  routes(): readonly RouteRule[];
  readonly defaultPriceMicro: bigint;
}

/** Envoy sent a context_extensions price we cannot parse: an operator error, not the client's. */
export class PriceConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PriceConfigError";
  }
}


function tableMatch(facts: RequestFacts, routes: readonly RouteRule[]): RouteRule | undefined {
  return routes.find((r) => (r.method === undefined || r.method === facts.method) && r.matches(facts.path));
}

/**
 * Resolves the price of a request, most specific source first (DESIGN.md "Pricing"):
 * Envoy `context_extensions` (`free: "true"`, `price` in decimal NTMPI, `route` id), then the route
 * table (first match in order), then the default price.
 * @throws PriceConfigError when context_extensions carry an unparsable price or route id
 */
export function resolvePrice(facts: RequestFacts, list: PriceList): Price {
  const ce = facts.contextExtensions;
  const ceRoute = ce["route"];
  if (ceRoute !== undefined && !ROUTE_ID_RE.test(ceRoute)) {
    throw new PriceConfigError(`context_extensions route "${ceRoute.slice(0, 80)}" must be 1-64 printable ASCII characters other than " and \\`);
  }
  const matched = tableMatch(facts, list.routes());
  const routeId = ceRoute ?? matched?.id;
  const rule = matched?.bundles !== undefined || matched?.scope !== undefined ? matched : undefined;
  if (ce["free"] === "true") return { routeId: routeId ?? "free", priceMicro: 0n, source: "context_extensions", rule };
  const cePrice = ce["price"];
  if (cePrice !== undefined) {
    let priceMicro: bigint;
    try {
      priceMicro = parseCoins(cePrice);
    } catch (err) {
      throw new PriceConfigError(`context_extensions price: ${(err as Error).message}`);
    }
    return { routeId: routeId ?? "default", priceMicro, source: "context_extensions", rule };
  }
  if (matched) return { routeId: ceRoute ?? matched.id, priceMicro: matched.priceMicro, source: "route_table", rule };
  return { routeId: routeId ?? "default", priceMicro: list.defaultPriceMicro, source: "default" };
}
