import { AmountFormatError, parseCoins } from "../money.js";

/**
 * Offers a route sells besides a single request (docs/design.md "Offers: bundles and passes"):
 * - a bundle: `uses` requests on the same route and method for one payment;
 * - a pass: unlimited requests on every route of a `scope` for `seconds`.
 * Written `"100=0.09,1000=0.8"` (uses=price in decimal NTMPI) in context_extensions `bundles` and in a
 * routes file; a routes file may also list `[{ uses, price }]`. Passes: `[{ seconds, price }]`.
 */
export interface BundleOffer {
  /** requests one payment buys, 2..1,000,000 */
  readonly uses: number;
  /** price of the whole bundle in uneutaro (bigint), > 0 */
  readonly priceMicro: bigint;
}

export interface PassOffer {
  /** lifetime of the pass token in seconds, 60..31,536,000 */
  readonly seconds: number;
  /** price in uneutaro (bigint), > 0 */
  readonly priceMicro: bigint;
}

/** Scope names go into invoices (as the route id) and metric labels: same rule as route ids. */
export const SCOPE_RE = /^[A-Za-z0-9_.:-]{1,64}$/;
export const MAX_BUNDLE_USES = 1_000_000;
export const MIN_PASS_SECONDS = 60;
export const MAX_PASS_SECONDS = 31_536_000;
/** Keeps the 402 small: at most this many bundles and passes per route. */
export const MAX_OFFERS = 4;

function price(raw: string, where: string, problems: string[]): bigint | undefined {
  try {
    const micro = parseCoins(raw);
    if (micro === 0n) problems.push(`${where}: price must be above 0`);
    return micro;
  } catch (err) {
    problems.push(`${where}: price ${err instanceof AmountFormatError ? err.message : String(err)}`);
    return undefined;
  }
}

function bundle(uses: unknown, raw: string, where: string, problems: string[]): BundleOffer | undefined {
  const n = typeof uses === "string" && /^\d{1,7}$/.test(uses) ? Number(uses) : uses;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 2 || n > MAX_BUNDLE_USES) {
    problems.push(`${where}: uses must be an integer from 2 to ${MAX_BUNDLE_USES}`);
    return undefined;
  }
  const priceMicro = price(raw, where, problems);
  return priceMicro === undefined ? undefined : { uses: n, priceMicro };
}

function finish<T>(list: T[], key: (t: T) => number, what: string, where: string, problems: string[]): readonly T[] {
  if (list.length > MAX_OFFERS) problems.push(`${where}: at most ${MAX_OFFERS} ${what}`);
  const seen = new Set(list.map(key));
  if (seen.size !== list.length) problems.push(`${where}: two ${what} with the same size`);
  return Object.freeze([...list].sort((a, b) => key(a) - key(b)));
}

/**
 * Parses `"N=price,…"` (context_extensions `bundles`, or the string form in a routes file).
 * Problems are pushed to `problems`, naming `where`.
 */
export function parseBundleList(text: string, where: string, problems: string[]): readonly BundleOffer[] {
  const out: BundleOffer[] = [];
  for (const [i, entry] of text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .entries()) {
    const eq = entry.indexOf("=");
    if (eq <= 0) {
      problems.push(`${where} entry ${i + 1} "${entry.slice(0, 40)}": expected uses=price`);
      continue;
    }
    const b = bundle(entry.slice(0, eq).trim(), entry.slice(eq + 1).trim(), `${where} entry ${i + 1}`, problems);
    if (b) out.push(b);
  }
  return finish(out, (b) => b.uses, "bundles", where, problems);
}

/** Routes-file form: a string `"N=price,…"` or a list `[{ uses, price }]`. */
export function parseBundles(
  raw: string | readonly { uses: number; price: string }[],
  where: string,
  problems: string[],
): readonly BundleOffer[] {
  if (typeof raw === "string") return parseBundleList(raw, where, problems);
  const out: BundleOffer[] = [];
  raw.forEach((b, i) => {
    const o = bundle(b.uses, b.price, `${where}[${i}]`, problems);
    if (o) out.push(o);
  });
  return finish(out, (b) => b.uses, "bundles", where, problems);
}

/** Routes-file `passes: [{ seconds, price }]`. */
export function parsePasses(raw: readonly { seconds: number; price: string }[], where: string, problems: string[]): readonly PassOffer[] {
  const out: PassOffer[] = [];
  raw.forEach((p, i) => {
    const w = `${where}[${i}]`;
    if (!Number.isInteger(p.seconds) || p.seconds < MIN_PASS_SECONDS || p.seconds > MAX_PASS_SECONDS) {
      return void problems.push(`${w}: seconds must be an integer from ${MIN_PASS_SECONDS} to ${MAX_PASS_SECONDS}`);
    }
    const priceMicro = price(p.price, w, problems);
    if (priceMicro !== undefined) out.push({ seconds: p.seconds, priceMicro });
  });
  return finish(out, (p) => p.seconds, "passes", where, problems);
}
