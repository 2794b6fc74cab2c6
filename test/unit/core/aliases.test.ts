import { describe, expect, it } from "vitest";
import { parseRoutesEnv } from "../../../src/config/routes.js";
import { InvalidPathError, resolvePrice, type PriceList } from "../../../src/core/pricing.js";
import { facts } from "../builders.js";

/** The configuration: two priced routes, default 0.001. */
function list(strictRouting = false, routes = "/api/expensive=1.0,/api/premium/*=1.0"): PriceList {
  const rules = parseRoutesEnv(routes);
  return { routes: () => rules, defaultPriceMicro: 1_000n, strictRouting };
}

const price = (path: string, l = list()) => resolvePrice(facts({ path, pathWithQuery: path }), l);

describe("pricing: every alias of a route costs the route's price", () => {
  it.each([
    "/api/expensive",
    "/api/expensive/",
    "/api/expensive//",
    "/api/expensive/.",
    "/API/EXPENSIVE",
    "/Api/Expensive",
    "/api/./expensive",
    "/x/../api/expensive",
    "/api/%65xpensive",
    "/API/EXPENSIVE/",
    "//api//expensive",
    "/api/premium/x",
    "/API/premium/x",
    "/api/PREMIUM/x",
    "/api/premium/",
    "/api/premium",
    "/Api/Premium",
  ])("%s → 1.0 NTMPI", (path) => {
    expect(price(path).priceMicro).toBe(1_000_000n);
  });

  it.each([
    "/api/expensive%3F",
    "/api/expensive%3Fx=1",
    "/api/expensive%2F",
    "/api%2Fexpensive",
    "/api/expensive%23",
    "/api%5Cexpensive",
    "/api/expensive%00",
    "/api/expensive%0a",
    "/api/expensive%7F",
    "/api\\expensive",
  ])("%s is refused as ambiguous", (path) => {
    expect(() => price(path)).toThrow(InvalidPathError);
  });

  it("unrelated paths keep the default", () => {
    expect(price("/api/expensiveX").priceMicro).toBe(1_000n);
    expect(price("/api/cheap").priceMicro).toBe(1_000n);
  });

  it("when the spellings with and without a trailing slash hit different routes, the dearer applies", () => {
    const l = list(false, "/docs=0.0001,/docs/*=0.5");
    expect(price("/docs", l).priceMicro).toBe(500_000n);
    expect(price("/docs/", l).priceMicro).toBe(500_000n);
    expect(price("/docs/x", l).priceMicro).toBe(500_000n);
  });

  it("a cheap exact route keeps its price when the other spelling matches nothing", () => {
    const l = list(false, "/api/cheap=0.0001");
    expect(price("/api/cheap", l).priceMicro).toBe(100n);
    expect(price("/API/Cheap/", l).priceMicro).toBe(100n);
  });

  it("GATEWAY_STRICT_ROUTING: case and trailing slash are significant, ambiguous escapes are still refused", () => {
    const strict = list(true);
    expect(price("/api/expensive", strict).priceMicro).toBe(1_000_000n);
    expect(price("/API/EXPENSIVE", strict).priceMicro).toBe(1_000n);
    expect(price("/api/expensive/", strict).priceMicro).toBe(1_000n);
    expect(price("/api/./expensive", strict).priceMicro).toBe(1_000_000n);
    expect(() => price("/api/expensive%3F", strict)).toThrow(InvalidPathError);
  });
});
