import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { AmountFormatError, parseAmount, parseCoins } from "../money.js";
import type { AssetPrice, PaymentAsset } from "../core/assets.js";
import { parseBundles, parsePasses, SCOPE_RE, type PassOffer } from "../core/offer-terms.js";
import { compileGlob, ROUTE_ID_RE, type RouteRule } from "../core/route-rule.js";

export { compileGlob, ROUTE_ID_RE, type RouteRule } from "../core/route-rule.js";

/** Thrown with every problem found in a route table, each naming its entry. */
export class RouteConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid route table:\n  - ${problems.join("\n  - ")}`);
    this.name = "RouteConfigError";
  }
}

const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE"]);
interface RawRule {
  id?: string;
  method?: string;
  pattern: string;
  price: string;
}

function buildRule(raw: RawRule, where: string, problems: string[]): RouteRule | undefined {
  const method = raw.method?.toUpperCase();
  if (method !== undefined && !METHODS.has(method)) problems.push(`${where}: unknown method "${raw.method}"`);
  if (!raw.pattern.startsWith("/") && raw.pattern !== "*") problems.push(`${where}: pattern "${raw.pattern}" must start with "/"`);
  const id = raw.id ?? (method ? `${method} ${raw.pattern}` : raw.pattern);
  if (!ROUTE_ID_RE.test(id)) problems.push(`${where}: route id "${id}" must be 1-64 printable ASCII characters other than " and \\`);
  let priceMicro = 0n;
  try {
    priceMicro = parseCoins(raw.price);
  } catch (err) {
    problems.push(`${where}: price ${err instanceof AmountFormatError ? err.message : String(err)}`);
    return undefined;
  }
  return Object.freeze({ id, method, pattern: raw.pattern, priceMicro, matches: compileGlob(raw.pattern) });
}

/** Parses `GATEWAY_ROUTES`. @throws RouteConfigError naming every bad entry */
export function parseRoutesEnv(raw: string | undefined): RouteRule[] {
  if (!raw || raw.trim() === "") return [];
  const problems: string[] = [];
  const rules: RouteRule[] = [];
  raw.split(",").forEach((entry, i) => {
    const where = `GATEWAY_ROUTES entry ${i + 1} "${entry.trim()}"`;
    const eq = entry.lastIndexOf("=");
    if (eq <= 0) return void problems.push(`${where}: expected pattern=price`);
    let lhs = entry.slice(0, eq).trim();
    const price = entry.slice(eq + 1).trim();
    let method: string | undefined;
    const sp = lhs.indexOf(" ");
    if (sp > 0) [method, lhs] = [lhs.slice(0, sp), lhs.slice(sp + 1).trim()];
    const rule = buildRule({ method, pattern: lhs, price }, where, problems);
    if (rule) rules.push(rule);
  });
  if (problems.length) throw new RouteConfigError(problems);
  return rules;
}

const fileSchema = z
  .object({
    routes: z.array(
      z
        .object({
          id: z.string().optional(),
          method: z.string().optional(),
          pattern: z.string().min(1),
          price: z.union([z.string(), z.number()]).optional(),
          /** prices in other accepted assets: denom → decimal amount in that asset's display unit */
          prices: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
          free: z.boolean().optional(),
          bundles: z.union([z.string(), z.array(z.object({ uses: z.number(), price: z.string() }).strict())]).optional(),
          scope: z.string().optional(),
          passes: z.array(z.object({ seconds: z.number(), price: z.string() }).strict()).optional(),
        })
        .strict(),
    ),
  })
  .strict();

/**
 * Parses route-table YAML text.
 * @param assets accepted assets (GatewayConfig.assets): what `prices` keys may name; default none
 * @throws RouteConfigError naming every bad entry
 */
export function parseRoutesYaml(text: string, source = "routes file", assets: readonly PaymentAsset[] = []): RouteRule[] {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new RouteConfigError([`${source}: not valid YAML: ${(err as Error).message}`]);
  }
  const parsed = fileSchema.safeParse(doc);
  if (!parsed.success) {
    throw new RouteConfigError(parsed.error.issues.map((i) => `${source}: ${i.path.join(".")}: ${i.message}`));
  }
  const problems: string[] = [];
  const rules: RouteRule[] = [];
  parsed.data.routes.forEach((r, i) => {
    const where = `${source} routes[${i}] (${r.id ?? r.pattern})`;
    // YAML numbers would go through float: insist on strings for prices so 0.1 stays exact.
    if (typeof r.price === "number") return void problems.push(`${where}: price must be a quoted decimal string, e.g. "0.01"`);
    if (r.free !== true && r.price === undefined && r.prices === undefined)
      return void problems.push(`${where}: needs price, prices or free: true`);
    if (r.free === true && (r.price !== undefined || r.prices !== undefined)) {
      return void problems.push(`${where}: give either price/prices or free: true, not both`);
    }
    const other = r.prices === undefined ? undefined : assetPrices(r.prices, r.price !== undefined, assets, where, problems);
    const primary = other?.primary ?? (r.free || r.price === undefined ? "0" : r.price);
    const rule = buildRule({ id: r.id, method: r.method, pattern: r.pattern, price: primary }, where, problems);
    const priced = rule && other && other.list.length > 0 ? Object.freeze({ ...rule, prices: Object.freeze(other.list) }) : rule;
    if (priced) rules.push(withOffers(priced, r, where, problems));
  });
  const scoped = withScopePasses(rules, problems);
  if (problems.length) throw new RouteConfigError(problems);
  return scoped;
}

/**
 * A rule's `prices`: each key a denom, pricing every accepted asset with that denom in its own decimals.
 * The primary asset's denom may be given here instead of `price` (not both).
 */
function assetPrices(
  raw: Record<string, string | number>,
  hasPrice: boolean,
  assets: readonly PaymentAsset[],
  where: string,
  problems: string[],
): { primary?: string; list: AssetPrice[] } {
  const list: AssetPrice[] = [];
  let primary: string | undefined;
  for (const [denom, text] of Object.entries(raw)) {
    if (typeof text === "number") {
      problems.push(`${where}: prices.${denom} must be a quoted decimal string, e.g. "0.5"`);
      continue;
    }
    const matching = assets.filter((a) => a.denom === denom);
    if (matching.length === 0)
      problems.push(`${where}: prices.${denom}: not an accepted asset (GATEWAY_DENOM, GATEWAY_ASSETS, GATEWAY_NETWORKS)`);
    for (const a of matching) {
      if (a.primary) {
        if (hasPrice) problems.push(`${where}: prices.${denom} is the primary asset, already priced by price`);
        else primary = text;
        continue;
      }
      try {
        const amountMicro = parseAmount(text, a.decimals);
        if (amountMicro === 0n) problems.push(`${where}: prices.${denom} must be more than 0 (leave the asset out instead)`);
        else list.push({ network: a.network, denom: a.denom, amountMicro });
      } catch (err) {
        problems.push(`${where}: prices.${denom} ${err instanceof AmountFormatError ? err.message : String(err)}`);
      }
    }
  }
  return { primary, list };
}

/** Adds a file rule's bundles, scope and passes (validated; problems name the entry). */
function withOffers(
  rule: RouteRule,
  r: { bundles?: string | { uses: number; price: string }[]; scope?: string; passes?: { seconds: number; price: string }[] },
  where: string,
  problems: string[],
): RouteRule {
  if (r.scope !== undefined && !SCOPE_RE.test(r.scope))
    problems.push(`${where}: scope "${r.scope.slice(0, 80)}" must be 1-64 characters [A-Za-z0-9_.:-]`);
  if (r.passes !== undefined && r.scope === undefined) problems.push(`${where}: passes need a scope`);
  const bundles = r.bundles === undefined ? undefined : parseBundles(r.bundles, `${where} bundles`, problems);
  const passes = r.passes === undefined ? undefined : parsePasses(r.passes, `${where} passes`, problems);
  if (bundles === undefined && r.scope === undefined) return rule;
  return Object.freeze({
    ...rule,
    ...(bundles && { bundles }),
    ...(r.scope !== undefined && { scope: r.scope }),
    ...(passes && { passes }),
  });
}

/** Every rule of a scope sells the same passes: the one list its rules give (two different lists: a problem). */
function withScopePasses(rules: RouteRule[], problems: string[]): RouteRule[] {
  const byScope = new Map<string, readonly PassOffer[]>();
  for (const r of rules) {
    if (r.scope === undefined || r.passes === undefined) continue;
    const seen = byScope.get(r.scope);
    const key = (l: readonly PassOffer[]) => l.map((p) => `${p.seconds}=${p.priceMicro}`).join(",");
    if (seen && key(seen) !== key(r.passes)) problems.push(`scope "${r.scope}": its routes list different passes`);
    else byScope.set(r.scope, r.passes);
  }
  return rules.map((r) =>
    r.scope !== undefined && r.passes === undefined && byScope.has(r.scope) ? Object.freeze({ ...r, passes: byScope.get(r.scope)! }) : r,
  );
}

/** Reads and parses `GATEWAY_ROUTES_FILE` (`assets`: see parseRoutesYaml). @throws RouteConfigError */
export function loadRoutesFile(path: string, assets: readonly PaymentAsset[] = []): RouteRule[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new RouteConfigError([`GATEWAY_ROUTES_FILE ${path}: ${(err as Error).message}`]);
  }
  return parseRoutesYaml(text, `GATEWAY_ROUTES_FILE ${path}`, assets);
}
