import { ROUTE_ID_RE } from "../../../src/config/routes.js";
import { describe, expect, it } from "vitest";
import { InvoiceCodec, type InvoiceFields } from "../../../src/core/invoices.js";
import { CHAIN_ID, DENOM, INVOICE_SECRET, OTHER, PAY_TO } from "../builders.js";

const codec = new InvoiceCodec(INVOICE_SECRET, PAY_TO, DENOM, CHAIN_ID);

function fields(over: Partial<InvoiceFields> = {}): InvoiceFields {
  return {
    amountMicro: 1_000n,
    method: "GET",
    routeId: "GET /api/*",
    expiresAt: 1_795_435_500,
    issueHeight: 1_204_330,
    nonce: "Yq3x9LkP0aZ7",
    uses: 1,
    ...over,
  };
}

const B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
/** Replaces the character at `i` by another base64url character that changes its top bits. */
function flipChar(s: string, i: number): string {
  const c = s[i]!;
  const swapped = B64URL[(B64URL.indexOf(c) + 32) % 64]!;
  return s.slice(0, i) + swapped + s.slice(i + 1);
}

describe("InvoiceCodec", () => {
  it("verify(issue(f)) gives back every field and the id", () => {
    const inv = codec.issue(fields({ amountMicro: 2n ** 60n, uses: 5 }));
    expect(codec.verify(inv.id)).toEqual(inv);
    expect(inv).toMatchObject(fields({ amountMicro: 2n ** 60n, uses: 5 }));
  });

  it("two invoices with different nonces have different ids", () => {
    expect(codec.issue(fields({ nonce: "aaaaaaaaaaaa" })).id).not.toBe(codec.issue(fields({ nonce: "bbbbbbbbbbbb" })).id);
  });

  it("changing any single character of the payload makes the id invalid", () => {
    const { id } = codec.issue(fields());
    const dot = id.indexOf(".");
    for (let i = 0; i < dot; i++) expect(codec.verify(flipChar(id, i)), `payload char ${i}`).toBeNull();
  });

  it("changing any MAC character's top bits makes the id invalid", () => {
    const { id } = codec.issue(fields());
    for (let i = id.indexOf(".") + 1; i < id.length; i++) expect(codec.verify(flipChar(id, i)), `mac char ${i}`).toBeNull();
  });

  // BUG (src/core/invoices.ts:77-79): the MAC is compared after a lenient base64url decode, so the last
  // MAC character's 2 unused bits, trailing "=" or junk after the MAC are ignored: several distinct ids
  // verify as the same invoice (each with its own `id`, so a store keyed on invoice id sees them as different).
  it("only the exact issued id verifies: no alternate encodings of the MAC", () => {
    const { id } = codec.issue(fields());
    const last = B64URL.indexOf(id.at(-1)!);
    const lowBitsChanged = id.slice(0, -1) + B64URL[last ^ 1];
    expect(codec.verify(lowBitsChanged)).toBeNull();
    expect(codec.verify(`${id}=`)).toBeNull();
    expect(codec.verify(`${id}!`)).toBeNull();
  });

  it("a token re-signed with a different payload but the old MAC is refused", () => {
    const a = codec.issue(fields({ amountMicro: 1_000_000n }));
    const b = codec.issue(fields({ amountMicro: 1n }));
    const forged = `${b.id.split(".")[0]}.${a.id.split(".")[1]}`;
    expect(codec.verify(forged)).toBeNull();
  });

  it.each([
    ["another secret", new InvoiceCodec("0".repeat(64), PAY_TO, DENOM, CHAIN_ID)],
    ["another payTo", new InvoiceCodec(INVOICE_SECRET, OTHER, DENOM, CHAIN_ID)],
    [
      "another denom",
      new InvoiceCodec(INVOICE_SECRET, PAY_TO, "ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2", CHAIN_ID),
    ],
    ["another chain id", new InvoiceCodec(INVOICE_SECRET, PAY_TO, DENOM, "neutaro-testnet-2")],
  ])("a token issued for %s does not verify here", (_what, other) => {
    const { id } = other.issue(fields());
    expect(codec.verify(id)).toBeNull();
    expect(other.verify(id)).not.toBeNull();
  });

  it("the id is URL-safe and under 256 bytes with a 64-character route id and large numbers", () => {
    const inv = codec.issue(
      fields({
        amountMicro: 999_999_999_999_999n,
        method: "OPTIONS",
        routeId: `OPTIONS /api/v1/${"r".repeat(48)}`,
        expiresAt: 4_102_444_800,
        issueHeight: 999_999_999,
        nonce: "Yq3x9LkP0aZ7",
      }),
    );
    expect(inv.routeId).toHaveLength(64);
    expect(inv.id).toMatch(/^[A-Za-z0-9_.-]+$/);
    expect(Buffer.byteLength(inv.id)).toBeLessThan(256);
    expect(codec.verify(inv.id)).toEqual(inv);
  });

  // Route ids are limited to 64 characters that JSON never escapes, so the longest valid one still
  // yields an id under the memo limit; characters JSON would escape are refused at config time.
  it("every id issued for the longest valid route id verifies and stays under the memo limit", () => {
    const routeId = `GET /${"~".repeat(59)}`;
    expect(ROUTE_ID_RE.test(routeId)).toBe(true);
    const inv = codec.issue(fields({ routeId, amountMicro: 10n ** 29n, nonce: "n".repeat(12) }));
    expect(Buffer.byteLength(inv.id)).toBeLessThan(256);
    expect(codec.verify(inv.id)).not.toBeNull();
  });

  it("route ids with characters JSON escapes are refused, and issue() refuses an id beyond the memo limit", () => {
    expect(ROUTE_ID_RE.test('"'.repeat(64))).toBe(false);
    expect(ROUTE_ID_RE.test("a\\b")).toBe(false);
    expect(() => codec.issue(fields({ routeId: '"'.repeat(64) }))).toThrow(RangeError);
  });

  it.each([
    ["empty", ""],
    ["no dot", "WzEsIjEwMDAiXQ"],
    ["two dots", "WzEsIjEwMDAiXQ.abc.def"],
    ["leading dot", ".abcdefabcdefabcdefabcd"],
    ["non-base64 payload", "!!!!.abcdefabcdefabcdefabcd"],
    ["unicode", "ïnvoice.ïnvoice"],
    ["oversized", `${"A".repeat(300)}.${"B".repeat(22)}`],
  ])("a malformed id (%s) is null, never an exception", (_what, id) => {
    expect(codec.verify(id)).toBeNull();
  });

  /** Signs an arbitrary payload with the codec's real MAC, to reach the shape checks behind it. */
  /** The codec's MAC under the primary (version 1) domain. */
  function primaryMac(b64: string): string {
    const c = codec as unknown as { primary: unknown; mac(b: unknown, p: string): string };
    return c.mac(c.primary, b64);
  }
  function signed(payload: unknown): string {
    // The codec's own MAC (private in TypeScript only), so the test does not restate the MAC layout.
    const b64 = Buffer.from(JSON.stringify(payload)).toString("base64url");
    return `${b64}.${primaryMac(b64)}`;
  }

  it("a correctly signed payload of the wrong shape is null, never an exception", () => {
    const good = [1, "1000", "GET", "GET /api/*", 1_795_435_500, 1_204_330, "Yq3x9LkP0aZ7", 1];
    expect(codec.verify(signed(good))).not.toBeNull();
    const bad: unknown[] = [
      { amount: "1000" },
      good.slice(0, 7),
      [2, ...good.slice(1)],
      [1, 1000, ...good.slice(2)],
      [1, "-1000", ...good.slice(2)],
      [1, "1e3", ...good.slice(2)],
      [1, "1000", null, ...good.slice(3)],
      [...good.slice(0, 4), "1795435500", ...good.slice(5)],
      [...good.slice(0, 4), 1.5, ...good.slice(5)],
      [...good.slice(0, 7), 2 ** 60],
      "just a string",
      null,
    ];
    for (const payload of bad) expect(codec.verify(signed(payload)), JSON.stringify(payload)).toBeNull();
    const notJson = Buffer.from('[1,"1000"').toString("base64url");
    expect(codec.verify(`${notJson}.${primaryMac(notJson)}`)).toBeNull();
  });
});
