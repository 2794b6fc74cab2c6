import { describe, expect, it } from "vitest";
import { parseRoutesEnv } from "../../../src/config/routes.js";
import { PriceConfigError, resolvePrice, type PriceList } from "../../../src/core/pricing.js";
import { facts } from "../builders.js";

function priceList(routes: string, defaultPriceMicro = 1_000n): PriceList {
  const rules = parseRoutesEnv(routes);
  return { routes: () => rules, defaultPriceMicro };
}

const table = priceList("POST /api/premium/*=0.5,/api/premium/*=0.1,/api/*=0.01,/health=0", 1_000n);

describe("resolvePrice", () => {
  it('falls back to the default price under the id "default" when no route matches', () => {
    expect(resolvePrice(facts({ path: "/other" }), table)).toEqual({ routeId: "default", priceMicro: 1_000n, source: "default" });
  });

  it("the first matching route in table order wins", () => {
    expect(resolvePrice(facts({ path: "/api/premium/model" }), table)).toEqual({
      routeId: "/api/premium/*",
      priceMicro: 100_000n,
      source: "route_table",
    });
    expect(resolvePrice(facts({ path: "/api/list" }), table)).toEqual({ routeId: "/api/*", priceMicro: 10_000n, source: "route_table" });
  });

  it("a method-bound route applies only to its method", () => {
    expect(resolvePrice(facts({ method: "POST", path: "/api/premium/model" }), table)).toMatchObject({
      routeId: "POST /api/premium/*",
      priceMicro: 500_000n,
    });
    expect(resolvePrice(facts({ method: "DELETE", path: "/api/premium/model" }), table)).toMatchObject({
      routeId: "/api/premium/*",
      priceMicro: 100_000n,
    });
  });

  it("a zero-priced route is free", () => {
    expect(resolvePrice(facts({ path: "/health" }), table)).toMatchObject({ routeId: "/health", priceMicro: 0n });
  });

  it("the query string never affects matching (facts.path has none)", () => {
    const f = facts({ path: "/other", pathWithQuery: "/other?next=/api/premium/x" });
    expect(resolvePrice(f, table)).toMatchObject({ routeId: "default", priceMicro: 1_000n });
    const g = facts({ path: "/api/premium/x", pathWithQuery: "/api/premium/x?free=true&price=0" });
    expect(resolvePrice(g, table)).toMatchObject({ priceMicro: 100_000n });
  });

  it('context_extensions free:"true" beats a priced route and keeps its route id', () => {
    expect(resolvePrice(facts({ path: "/api/premium/x", contextExtensions: { free: "true" } }), table)).toEqual({
      routeId: "/api/premium/*",
      priceMicro: 0n,
      source: "context_extensions",
    });
  });

  it('context_extensions free:"true" without any route is labelled "free"', () => {
    expect(resolvePrice(facts({ path: "/nowhere", contextExtensions: { free: "true" } }), table).routeId).toBe("free");
  });

  it('context_extensions free with another value than "true" does not make the request free', () => {
    expect(resolvePrice(facts({ path: "/api/x", contextExtensions: { free: "false" } }), table).priceMicro).toBe(10_000n);
  });

  it("context_extensions price beats the route table and the default", () => {
    expect(resolvePrice(facts({ path: "/api/premium/x", contextExtensions: { price: "0.002" } }), table)).toEqual({
      routeId: "/api/premium/*",
      priceMicro: 2_000n,
      source: "context_extensions",
    });
    expect(resolvePrice(facts({ path: "/elsewhere", contextExtensions: { price: "3" } }), table)).toEqual({
      routeId: "default",
      priceMicro: 3_000_000n,
      source: "context_extensions",
    });
  });

  it("context_extensions route names the route id while the table still sets the price", () => {
    expect(resolvePrice(facts({ path: "/api/list", contextExtensions: { route: "catalog" } }), table)).toEqual({
      routeId: "catalog",
      priceMicro: 10_000n,
      source: "route_table",
    });
    expect(resolvePrice(facts({ path: "/x", contextExtensions: { route: "catalog", price: "0.2" } }), table)).toEqual({
      routeId: "catalog",
      priceMicro: 200_000n,
      source: "context_extensions",
    });
    expect(resolvePrice(facts({ path: "/x", contextExtensions: { route: "catalog" } }), table)).toEqual({
      routeId: "catalog",
      priceMicro: 1_000n,
      source: "default",
    });
  });

  it.each(["0.0000001", "-0.01", "1e-3", "free"])("a context_extensions price %j throws PriceConfigError", (bad) => {
    expect(() => resolvePrice(facts({ contextExtensions: { price: bad } }), table)).toThrow(PriceConfigError);
  });

  it("a context_extensions route id that is too long or not printable throws PriceConfigError", () => {
    expect(() => resolvePrice(facts({ contextExtensions: { route: "r".repeat(65) } }), table)).toThrow(PriceConfigError);
    expect(() => resolvePrice(facts({ contextExtensions: { route: "route\nid" } }), table)).toThrow(PriceConfigError);
    expect(() => resolvePrice(facts({ contextExtensions: { route: "" } }), table)).toThrow(PriceConfigError);
  });

  it("the route table is read on every call, so a reload takes effect", () => {
    let rules = parseRoutesEnv("/api/*=0.01");
    const list: PriceList = { routes: () => rules, defaultPriceMicro: 1_000n };
    expect(resolvePrice(facts(), list).priceMicro).toBe(10_000n);
    rules = parseRoutesEnv("/api/*=0.02");
    expect(resolvePrice(facts(), list).priceMicro).toBe(20_000n);
  });
});
