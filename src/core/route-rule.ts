/**
 * What one route rule is, and the two pure rules every source of routes shares (route id syntax, glob
 * matching). Loading them from GATEWAY_ROUTES / GATEWAY_ROUTES_FILE is src/config/routes.ts.
 */
import type { AssetPrice } from "./assets.js";
import type { BundleOffer, PassOffer } from "./offer-terms.js";

/**
 * Route table: the operator's price list. Two sources, same result:
 * - `GATEWAY_ROUTES`, the ClawPurse Gateway format `pattern=price,...` with an optional method prefix
 *   (`GET /api/*=0.01`), e.g. "/api/v1/expensive/*=1.0,/api/v1/cheap/*=0.001";
 * - `GATEWAY_ROUTES_FILE`, YAML: `routes: [{ id?, method?, pattern, price | free, bundles?, scope?, passes? }]`
 *   (offers: src/core/offer-terms.ts; every rule of a scope sells the passes any of them lists).
 * Patterns are globs matched against the path without its query: `*` matches any run of characters
 * (also across `/`, as ClawPurse did), `?` one character; every other character is literal, so regex
 * metacharacters in paths are safe.
 */
export interface RouteRule {
  /** route id: metric label and invoice binding; "<METHOD> <pattern>" or the pattern when not given */
  readonly id: string;
  /** uppercase method, or undefined for any method */
  readonly method?: string;
  readonly pattern: string;
  /** price in the primary asset, uneutaro (bigint); 0n: not sold for it (free unless `prices` lists others) */
  readonly priceMicro: bigint;
  /** prices in the other accepted assets (routes file `prices`), each in its smallest unit */
  readonly prices?: readonly AssetPrice[];
  /** compiled matcher for `pattern` */
  readonly matches: (path: string) => boolean;
  /** bundles of N requests this route sells (routes file `bundles`); absent: none */
  readonly bundles?: readonly BundleOffer[];
  /** route group a pass covers (routes file `scope`) */
  readonly scope?: string;
  /** passes sold for `scope` (merged over the scope's rules) */
  readonly passes?: readonly PassOffer[];
}

/**
 * Route ids go into invoices (memo ≤ 256 bytes) and metric labels: 1-64 printable ASCII characters,
 * without `"` and `\` (JSON would escape them and push the invoice id past the memo limit).
 */
export const ROUTE_ID_RE = /^[!#-[\]-~][ !#-[\]-~]{0,63}$/;

/** Compiles a glob to an anchored matcher; only `*` and `?` are special. @param ignoreCase match case-insensitively */
export function compileGlob(pattern: string, ignoreCase = false): (path: string) => boolean {
  const re = pattern
    .split("")
    .map((ch) => (ch === "*" ? ".*" : ch === "?" ? "." : ch.replace(/[.+^${}()|[\]\\/-]/g, "\\$&")))
    .join("");
  const compiled = new RegExp(`^${re}$`, ignoreCase ? "si" : "s");
  return (path) => compiled.test(path);
}
