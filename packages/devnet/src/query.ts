/**
 * The CometBFT 0.37 event query language as tx_search uses it: conditions `key OP operand` joined with
 * AND, where OP is =, <, <=, >, >=, CONTAINS or EXISTS, and operands are 'quoted strings' or numbers.
 * Example: `transfer.recipient='neutaro1…' AND tx.height>=5`.
 */

export type Op = "=" | "<" | "<=" | ">" | ">=" | "CONTAINS" | "EXISTS";

export interface Condition {
  /** composite key "type.attribute", or the reserved "tx.hash" / "tx.height" */
  readonly key: string;
  readonly op: Op;
  /** string operand (quotes removed) or number text; "" for EXISTS */
  readonly operand: string;
  readonly numeric: boolean;
}

/** Thrown for a query that does not parse. */
export class QueryParseError extends Error {
  constructor(
    readonly query: string,
    why: string,
  ) {
    super(`failed to parse query "${query}": ${why}`);
    this.name = "QueryParseError";
  }
}

const CONDITION = /^\s*([A-Za-z0-9_.\-/]+)\s*(?:(EXISTS)|(<=|>=|=|<|>|CONTAINS)\s*(?:'([^']*)'|(-?\d+(?:\.\d+)?)))\s*/;
const AND = /^AND\s+/;

/**
 * Parses a query into its AND-ed conditions.
 * @throws QueryParseError for anything outside the supported grammar (OR and TIME/DATE operands included)
 */
export function parseQuery(query: string): Condition[] {
  const conditions: Condition[] = [];
  let rest = query;
  for (let guard = 0; guard < 64; guard++) {
    const m = CONDITION.exec(rest);
    if (!m) throw new QueryParseError(query, `unexpected input at "${rest.slice(0, 30)}"`);
    const [whole, key, exists, op, quoted, num] = m;
    conditions.push({
      key: key!,
      op: (exists ?? op) as Op,
      operand: quoted ?? num ?? "",
      numeric: num !== undefined,
    });
    rest = rest.slice(whole.length);
    if (rest.length === 0) return conditions;
    const and = AND.exec(rest);
    if (!and) throw new QueryParseError(query, `expected AND at "${rest.slice(0, 30)}"`);
    rest = rest.slice(and[0].length);
  }
  throw new QueryParseError(query, "too many conditions (max 64)");
}

function compareNumbers(value: number, op: Op, operand: number): boolean {
  switch (op) {
    case "=":
      return value === operand;
    case "<":
      return value < operand;
    case "<=":
      return value <= operand;
    case ">":
      return value > operand;
    case ">=":
      return value >= operand;
    default:
      return false;
  }
}

/** Whether one attribute value satisfies a condition (numeric ops compare numbers, as CometBFT does). */
export function matchesValue(value: string, c: Condition): boolean {
  if (c.op === "EXISTS") return true;
  if (c.op === "CONTAINS") return value.includes(c.operand);
  if (c.op === "=" && !c.numeric) return value === c.operand;
  const v = Number(value);
  return value.trim() !== "" && Number.isFinite(v) && compareNumbers(v, c.op, Number(c.operand));
}

/** Inclusive height range implied by the tx.height conditions (others ignored). */
export function heightRange(conditions: readonly Condition[]): { min: number; max: number } {
  let min = 1,
    max = Number.MAX_SAFE_INTEGER;
  for (const c of conditions) {
    if (c.key !== "tx.height") continue;
    const n = Math.floor(Number(c.operand));
    if (c.op === "=") {
      min = Math.max(min, n);
      max = Math.min(max, n);
    }
    if (c.op === ">=") min = Math.max(min, n);
    if (c.op === ">") min = Math.max(min, n + 1);
    if (c.op === "<=") max = Math.min(max, n);
    if (c.op === "<") max = Math.min(max, n - 1);
  }
  return { min, max };
}
