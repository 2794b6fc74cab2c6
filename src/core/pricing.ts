import { parseCoins } from "../money.js";
import { compileGlob, ROUTE_ID_RE, type RouteRule } from "./route-rule.js";
import type { RequestFacts } from "./facts.js";
import { normalizePath, pathRefusal, trailingSlashAliases } from "./path.js";

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
  /**
   * GATEWAY_STRICT_ROUTING: match patterns case-sensitively and treat a trailing slash as significant,
   * for upstreams that route that way. Default false: `/API/x/` costs what `/api/x` costs.
   */
  readonly strictRouting?: boolean;
}

/** Envoy sent a context_extensions price we cannot parse: an operator error, not the client's. */
export class PriceConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PriceConfigError";
  }
}

/** The request's path is ambiguous (encoded separator, control character): a client error, 400. */
export class InvalidPathError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InvalidPathError";
  }
}

/** Case-insensitive matchers, compiled once per rule object (a reload brings new rule objects). */
const foldedMatchers = new WeakMap<RouteRule, (path: string) => boolean>();

function foldedMatcher(rule: RouteRule): (path: string) => boolean {
  let m = foldedMatchers.get(rule);
  if (!m) foldedMatchers.set(rule, (m = compileGlob(rule.pattern, true)));
  return m;
}

function firstMatch(method: string, path: string, routes: readonly RouteRule[], strict: boolean): RouteRule | undefined {
  for (const r of routes) {
    if (r.method !== undefined && r.method !== method) continue;
    if (strict ? r.matches(path) : foldedMatcher(r)(path)) return r;
  }
  return undefined;
}

/**
 * The route-table entry for a request: two paths that can reach the same upstream resource cost the
 * same, and when in doubt the higher price applies. The raw path is refused when ambiguous, then
 * normalised (path.ts); unless strict, each trailing-slash spelling is matched case-insensitively and
 * the dearest first match wins (ties: the spelling without the slash).
 * @throws InvalidPathError for an encoded separator or control character
 */
function tableMatch(facts: RequestFacts, list: PriceList): RouteRule | undefined {
  const refusal = pathRefusal(facts.path);
  if (refusal) throw new InvalidPathError(refusal);
  const path = normalizePath(facts.path);
  const routes = list.routes();
  if (list.strictRouting) return firstMatch(facts.method, path, routes, true);
  let best: RouteRule | undefined;
  for (const alias of trailingSlashAliases(path)) {
    const m = firstMatch(facts.method, alias, routes, false);
    if (m && (!best || m.priceMicro > best.priceMicro)) best = m;
  }
  return best;
}

/**
 * Resolves the price of a request, most specific source first (docs/design.md "Pricing"):
 * Envoy `context_extensions` (`free: "true"`, `price` in decimal NTMPI, `route` id), then the route
 * table (first match in order, over the path's aliases: see tableMatch), then the default price.
 * @throws PriceConfigError when context_extensions carry an unparsable price or route id
 * @throws InvalidPathError when the path is ambiguous (the client's error: 400 INVALID_REQUEST)
 */
export function resolvePrice(facts: RequestFacts, list: PriceList): Price {
  const ce = facts.contextExtensions;
  const ceRoute = ce["route"];
  if (ceRoute !== undefined && !ROUTE_ID_RE.test(ceRoute)) {
    throw new PriceConfigError(`context_extensions route "${ceRoute.slice(0, 80)}" must be 1-64 printable ASCII characters other than " and \\`);
  }
  const matched = tableMatch(facts, list);
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
