/**
 * Money. One type end to end: `bigint` micro-units of the denom (uneutaro; 1 NTMPI = 1_000_000 uneutaro).
 * Decimal strings ("0.001000") exist only at the edges (config, JSON, display). Parsing is string
 * arithmetic, never `number`, as cosmjs `Decimal.fromUserInput` does.
 */

/** Micro-units per whole coin: 6 decimals (NTMPI ↔ uneutaro). */
export const DECIMALS = 6;
export const MICRO_PER_COIN = 1_000_000n;

/** Thrown for a decimal amount that is empty, negative, has more than 6 decimals or is not a number. */
export class AmountFormatError extends Error {
  constructor(
    readonly input: string,
    why: string,
  ) {
    super(`invalid amount "${input}": ${why}`);
    this.name = "AmountFormatError";
  }
}

const DECIMAL_RE = /^(\d+)(?:\.(\d*))?$|^\.(\d+)$/;

/**
 * Parses a decimal coin amount ("0.001", "1", "2.5") into micro-units.
 * @returns amount in uneutaro (bigint), ≥ 0
 * @throws AmountFormatError for negatives, more than 6 decimals, exponents or anything non-decimal
 */
export function parseCoins(input: string): bigint {
  return parseAmount(input, DECIMALS);
}

/**
 * Parses a decimal amount of an asset with `decimals` decimals ("0.5" with 6 → 500000n) into its
 * smallest unit (bigint, ≥ 0). String arithmetic only.
 * @throws AmountFormatError for negatives, more than `decimals` decimals, exponents or anything non-decimal
 */
export function parseAmount(input: string, decimals: number): bigint {
  const s = input.trim();
  if (s.startsWith("-")) throw new AmountFormatError(input, "negative");
  const m = DECIMAL_RE.exec(s);
  if (!m) throw new AmountFormatError(input, "not a decimal number");
  const whole = m[1] ?? "0";
  const frac = m[2] ?? m[3] ?? "";
  if (frac.length > decimals) throw new AmountFormatError(input, `more than ${decimals} decimals`);
  return BigInt(whole) * 10n ** BigInt(decimals) + BigInt(frac.padEnd(decimals, "0") || "0");
}

/** Formats smallest units of an asset with `decimals` decimals: (1500n, 3) → "1.500"; 0 decimals → "1500". */
export function formatAmount(units: bigint, decimals: number): string {
  if (decimals === DECIMALS) return formatCoins(units);
  const neg = units < 0n;
  const abs = neg ? -units : units;
  const scale = 10n ** BigInt(decimals);
  const frac = decimals === 0 ? "" : `.${(abs % scale).toString().padStart(decimals, "0")}`;
  return `${neg ? "-" : ""}${abs / scale}${frac}`;
}

/**
 * Formats micro-units as a decimal coin amount with exactly 6 decimals: 1000n → "0.001000".
 * Always 6 decimals: the ClawPurse CLI reads a bare integer below 1,000,000 as whole NTMPI.
 */
export function formatCoins(micro: bigint): string {
  const neg = micro < 0n;
  const abs = neg ? -micro : micro;
  const whole = abs / MICRO_PER_COIN;
  const frac = (abs % MICRO_PER_COIN).toString().padStart(DECIMALS, "0");
  return `${neg ? "-" : ""}${whole}.${frac}`;
}

/**
 * Parses a base-10 integer string of micro-units ("1000") as found in chain events and JSON.
 * @throws AmountFormatError when not a plain non-negative integer
 */
export function parseMicro(input: string): bigint {
  if (!/^\d{1,30}$/.test(input)) throw new AmountFormatError(input, "not a whole number of micro-units");
  return BigInt(input);
}
