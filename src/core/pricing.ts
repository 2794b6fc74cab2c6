import { DECIMALS, parseAmount } from "../money.js";
import type { AssetPrice, PaymentAsset } from "./assets.js";
import { compileGlob, ROUTE_ID_RE, type RouteRule } from "./route-rule.js";
import type { RequestFacts } from "./facts.js";
import { normalizePath, pathRefusal, trailingSlashAliases } from "./path.js";

/** What a request costs and which route id it is billed and labelled under. */
export interface Price {
  /** bounded route id (from config or context_extensions), or "default" */
  readonly routeId: string;
  /**
   * price in the first asset of `prices` (the primary asset, uneutaro, when the route is priced in it),
   * smallest units (bigint); 0n when free
   */
  readonly priceMicro: bigint;
  /**
   * every asset the route is priced in, in configured asset order (the primary first), amounts > 0;
   * absent: the primary asset alone at priceMicro (single-asset gateways and tests)
   */
  readonly prices?: readonly AssetPrice[];
  readonly source: "context_extensions" | "route_table" | "default";
  /** the route-table rule the path matched, when it sells bundles or passes (offers.ts) */
  readonly rule?: RouteRule;
}

/** The operator's price list; a function so the route table can be reloaded at run time. */
export interface PriceList {
  routes(): readonly RouteRule[];
  readonly defaultPriceMicro: bigint;
  /** accepted assets (GatewayConfig.assets), the primary first; absent: the primary only */
  readonly assets?: readonly PaymentAsset[];
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
 * Envoy `context_extensions` (`free: "true"`, `price` in decimal NTMPI, `price.<denom>` in that asset,
 * `route` id), then the route table (first match in order, over the path's aliases: see tableMatch),
 * then the default price. A route priced in several assets lists them all in `prices`.
 * @throws PriceConfigError when context_extensions carry an unparsable price, unknown denom or route id
 * @throws InvalidPathError when the path is ambiguous (the client's error: 400 INVALID_REQUEST)
 */
export function resolvePrice(facts: RequestFacts, list: PriceList): Price {
  const ce = facts.contextExtensions;
  const ceRoute = ce["route"];
  if (ceRoute !== undefined && !ROUTE_ID_RE.test(ceRoute)) {
    throw new PriceConfigError(
      `context_extensions route "${ceRoute.slice(0, 80)}" must be 1-64 printable ASCII characters other than " and \\`,
    );
  }
  const matched = tableMatch(facts, list);
  const routeId = ceRoute ?? matched?.id;
  const rule = matched?.bundles !== undefined || matched?.scope !== undefined ? matched : undefined;
  if (ce["free"] === "true") return { routeId: routeId ?? "free", priceMicro: 0n, source: "context_extensions", rule };
  const ceKeys = Object.keys(ce).filter((k) => k === "price" || k.startsWith("price."));
  if (ceKeys.length > 0) {
    const { primaryMicro, others } = extensionPrices(ce, ceKeys, list.assets ?? []);
    return withPrices({ routeId: routeId ?? "default", priceMicro: primaryMicro, source: "context_extensions", rule }, others, list);
  }
  if (matched)
    return withPrices(
      { routeId: ceRoute ?? matched.id, priceMicro: matched.priceMicro, source: "route_table", rule },
      matched.prices,
      list,
    );
  return { routeId: routeId ?? "default", priceMicro: list.defaultPriceMicro, source: "default" };
}

/** `price` (primary, decimal NTMPI) and `price.<denom>` (every accepted asset with that denom, in its decimals). */
function extensionPrices(
  ce: Readonly<Record<string, string>>,
  keys: readonly string[],
  assets: readonly PaymentAsset[],
): { primaryMicro: bigint; others: AssetPrice[] } {
  let primaryMicro = 0n;
  const others: AssetPrice[] = [];
  for (const key of keys) {
    const text = ce[key]!;
    const parse = (decimals: number): bigint => {
      try {
        return parseAmount(text, decimals);
      } catch (err) {
        throw new PriceConfigError(`context_extensions ${key}: ${(err as Error).message}`);
      }
    };
    if (key === "price") {
      primaryMicro = parse(DECIMALS);
      continue;
    }
    const denom = key.slice("price.".length);
    const matching = assets.filter((a) => a.denom === denom);
    if (matching.length === 0)
      throw new PriceConfigError(`context_extensions ${key}: "${denom.slice(0, 80)}" is not an accepted asset (GATEWAY_ASSETS)`);
    for (const a of matching) {
      const amountMicro = parse(a.decimals);
      if (a.primary) primaryMicro = amountMicro;
      else if (amountMicro > 0n) others.push({ network: a.network, denom: a.denom, amountMicro });
    }
  }
  return { primaryMicro, others };
}

/**
 * Adds the other assets' prices: `prices` lists every priced asset in configured order, and
 * `priceMicro` becomes the first one's amount (a route priced only in other assets).
 */
function withPrices(base: Price, others: readonly AssetPrice[] | undefined, list: PriceList): Price {
  if (!others || others.length === 0) return base;
  const assets = list.assets ?? [];
  const primary = assets.find((a) => a.primary);
  const all: AssetPrice[] = [
    ...(base.priceMicro > 0n && primary ? [{ network: primary.network, denom: primary.denom, amountMicro: base.priceMicro }] : []),
    ...others,
  ];
  const order = (p: AssetPrice) => assets.findIndex((a) => a.network === p.network && a.denom === p.denom);
  all.sort((x, y) => order(x) - order(y));
  return { ...base, priceMicro: all[0]!.amountMicro, prices: all };
}
