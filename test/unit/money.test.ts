import { describe, expect, it } from "vitest";
import { AmountFormatError, formatCoins, parseCoins, parseMicro } from "../../src/money.js";

describe("parseCoins", () => {
  it.each([
    ["1", 1_000_000n],
    ["0", 0n],
    ["0.001", 1_000n],
    ["2.5", 2_500_000n],
    [".5", 500_000n],
    ["1.", 1_000_000n],
    ["0.000001", 1n],
    ["12.345678", 12_345_678n],
    ["  0.01  ", 10_000n],
    ["007.10", 7_100_000n],
  ])("reads %j as %s uneutaro", (input, micro) => {
    expect(parseCoins(input)).toBe(micro);
  });

  it("a price with 7 decimals is refused, naming the decimals", () => {
    expect(() => parseCoins("0.0000001")).toThrow(AmountFormatError);
    expect(() => parseCoins("0.0000001")).toThrow(/more than 6 decimals/);
  });

  it("a negative amount is refused as negative", () => {
    expect(() => parseCoins("-1")).toThrow(/negative/);
    expect(() => parseCoins(" -0.5")).toThrow(AmountFormatError);
  });

  it.each(["1e3", "1E-3", "", "   ", ".", "+1", "1,5", "0x10", "1 000", "NaN", "Infinity", "1..2", "١"])(
    "%j is not a decimal amount",
    (input) => {
      expect(() => parseCoins(input)).toThrow(AmountFormatError);
    },
  );

  it("the error keeps the offending input", () => {
    try {
      parseCoins("1e3");
      expect.unreachable();
    } catch (err) {
      expect((err as AmountFormatError).input).toBe("1e3");
      expect((err as Error).message).toContain('"1e3"');
    }
  });

  it("amounts beyond 2^53 micro-units stay exact", () => {
    // 9007199254.740993 NTMPI = 2^53 + 1 uneutaro, which a float would round to 2^53
    expect(parseCoins("9007199254.740993")).toBe(2n ** 53n + 1n);
    expect(parseCoins("123456789012345678901234567890.123456")).toBe(123456789012345678901234567890123456n);
  });
});

describe("formatCoins", () => {
  it.each([
    [1000n, "0.001000"],
    [0n, "0.000000"],
    [1n, "0.000001"],
    [1_000_000n, "1.000000"],
    [2_500_000n, "2.500000"],
    [999_999n, "0.999999"],
    [2n ** 53n + 1n, "9007199254.740993"],
    [123456789012345678901234567890123456n, "123456789012345678901234567890.123456"],
  ])("%s uneutaro is shown as %j (always 6 decimals)", (micro, text) => {
    expect(formatCoins(micro)).toBe(text);
  });

  it("never prints a bare integer below one coin (ClawPurse would read it as whole NTMPI)", () => {
    for (const micro of [1n, 10n, 500n, 999_999n]) expect(formatCoins(micro)).toMatch(/^0\.\d{6}$/);
  });
});

describe("parseMicro", () => {
  it("reads plain integer strings of micro-units exactly", () => {
    expect(parseMicro("1000")).toBe(1000n);
    expect(parseMicro("0")).toBe(0n);
    expect(parseMicro("9007199254740993")).toBe(9007199254740993n);
  });

  it.each(["", "-1", "1.5", "1e3", " 10", "10uneutaro", "1".repeat(31)])("%j is not a whole number of micro-units", (input) => {
    expect(() => parseMicro(input)).toThrow(AmountFormatError);
  });
});

describe("round trip", () => {
  /** Small deterministic PRNG (mulberry32) so a failure is reproducible. */
  function rng(seed: number) {
    return () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  it("formatCoins(parseCoins(x)) gives x back, padded to 6 decimals, for 2000 random valid amounts", () => {
    const next = rng(402);
    const digits = (n: number) => Array.from({ length: n }, () => Math.floor(next() * 10)).join("");
    for (let i = 0; i < 2000; i++) {
      const whole = digits(1 + Math.floor(next() * 25)); // leading zeros included on purpose
      const frac = digits(Math.floor(next() * 7));
      const input = frac ? `${whole}.${frac}` : whole;
      const normalizedWhole = BigInt(whole).toString();
      expect(formatCoins(parseCoins(input))).toBe(`${normalizedWhole}.${frac.padEnd(6, "0")}`);
    }
  });

  it("parseCoins(formatCoins(m)) gives m back for random bigints up to 10^30", () => {
    const next = rng(7);
    for (let i = 0; i < 2000; i++) {
      const m = BigInt(Math.floor(next() * 2 ** 32)) * BigInt(Math.floor(next() * 2 ** 32)) * BigInt(Math.floor(next() * 2 ** 32));
      expect(parseCoins(formatCoins(m))).toBe(m);
    }
  });
});
