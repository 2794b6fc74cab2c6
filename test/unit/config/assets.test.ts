import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../../src/config/load.js";
import { parseRoutesYaml, RouteConfigError } from "../../../src/config/routes.js";
import { resolvePrice, PriceConfigError } from "../../../src/core/pricing.js";

const PAY_TO = "neutaro1w8xkwq5cdrqqx2lqe3m6ddvzq5t7yfc8f4fpgm";
const IBC = "ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2";
const NET2 = {
  id: "cosmos:Devnet-2",
  rpc: ["http://127.0.0.1:1"],
  bech32Prefix: "cosmos",
  payTo: "cosmos1qurswpc8qurswpc8qurswpc8qurswpc8nn86qp",
  denom: "uatom",
};
const base = { GATEWAY_PAYMENT_ADDRESS: PAY_TO, GATEWAY_NETWORKS: JSON.stringify([NET2]) };
const problems = (env: Record<string, string>) => {
  try {
    loadConfig({ ...base, ...env }, "dev");
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.join("\n");
    throw err;
  }
  return "";
};

describe("GATEWAY_ASSETS", () => {
  it("lists the primary, then GATEWAY_ASSETS in order, then the networks' own denoms not described there", () => {
    const c = loadConfig(
      { ...base, GATEWAY_ASSETS: JSON.stringify([{ network: "cosmos:Neutaro-1", denom: IBC, name: "ATOM", decimals: 6 }]) },
      "dev",
    );
    expect(c.assets.map((a) => [a.network, a.denom, a.name, a.decimals, a.primary, a.payTo])).toEqual([
      ["cosmos:Neutaro-1", "uneutaro", "NTMPI", 6, true, PAY_TO],
      ["cosmos:Neutaro-1", IBC, "ATOM", 6, false, PAY_TO],
      ["cosmos:Devnet-2", "uatom", "uatom", 6, false, NET2.payTo],
    ]);
  });

  it("a network's own denom described in GATEWAY_ASSETS takes its name and decimals", () => {
    const c = loadConfig(
      { ...base, GATEWAY_ASSETS: JSON.stringify([{ network: "cosmos:Devnet-2", denom: "uatom", name: "ATOM", decimals: 3 }]) },
      "dev",
    );
    expect(c.assets.filter((a) => a.denom === "uatom")).toMatchObject([{ name: "ATOM", decimals: 3 }]);
  });

  it("an unknown network, a duplicate (network, denom), the primary asset again and bad JSON are refused together", () => {
    const text = problems({
      GATEWAY_ASSETS: JSON.stringify([
        { network: "cosmos:Nowhere-9", denom: "ufoo", name: "FOO", decimals: 6 },
        { network: "cosmos:Devnet-2", denom: "uosmo", name: "OSMO", decimals: 6 },
        { network: "cosmos:Devnet-2", denom: "uosmo", name: "OSMO", decimals: 6 },
        { network: "cosmos:Neutaro-1", denom: "uneutaro", name: "X", decimals: 6 },
      ]),
    });
    expect(text).toMatch(/GATEWAY_ASSETS\.0\.network: "cosmos:Nowhere-9" is not a configured network/);
    expect(text).toMatch(/GATEWAY_ASSETS\.2: uosmo on cosmos:Devnet-2 is listed twice/);
    expect(text).toMatch(/GATEWAY_ASSETS\.3: uneutaro on cosmos:Neutaro-1 is the primary asset/);
    expect(problems({ GATEWAY_ASSETS: "[{" })).toMatch(/GATEWAY_ASSETS: not JSON/);
    expect(
      problems({ GATEWAY_ASSETS: JSON.stringify([{ network: "cosmos:Devnet-2", denom: "uosmo", name: "OSMO", decimals: 19 }]) }),
    ).toMatch(/GATEWAY_ASSETS\.0\.decimals/);
  });
});

describe("prices per asset", () => {
  const c = loadConfig(
    { ...base, GATEWAY_ASSETS: JSON.stringify([{ network: "cosmos:Devnet-2", denom: "uatom", name: "ATOM", decimals: 3 }]) },
    "dev",
  );
  const facts = (path: string, ce: Record<string, string> = {}) =>
    ({
      method: "GET",
      path,
      pathWithQuery: path,
      headers: {},
      contextExtensions: ce,
      host: "h",
      scheme: "http",
      sourceAddress: "1.2.3.4",
    }) as never;

  it("a routes file `prices` entry is parsed in the asset's decimals, the primary first", () => {
    const rules = parseRoutesYaml(
      `routes:\n  - { pattern: /a, price: "0.5", prices: { uatom: "1.25" } }\n  - { pattern: /b, prices: { uatom: "2" } }\n`,
      "f",
      c.assets,
    );
    const list = { routes: () => rules, defaultPriceMicro: 1n, assets: c.assets };
    expect(resolvePrice(facts("/a"), list)).toMatchObject({
      priceMicro: 500_000n,
      prices: [
        { network: "cosmos:Neutaro-1", denom: "uneutaro", amountMicro: 500_000n },
        { network: "cosmos:Devnet-2", denom: "uatom", amountMicro: 1250n },
      ],
    });
    expect(resolvePrice(facts("/b"), list)).toMatchObject({ priceMicro: 2000n, prices: [{ denom: "uatom", amountMicro: 2000n }] });
  });

  it("unknown denoms, too many decimals and zero prices in `prices` are refused", () => {
    const err = (() => {
      try {
        parseRoutesYaml(
          `routes:\n  - { pattern: /a, prices: { uosmo: "1", uatom: "0.0001" } }\n  - { pattern: /b, prices: { uatom: "0" } }\n`,
          "f",
          c.assets,
        );
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(RouteConfigError);
    const text = (err as RouteConfigError).problems.join("\n");
    expect(text).toMatch(/prices\.uosmo: not an accepted asset/);
    expect(text).toMatch(/prices\.uatom invalid amount "0.0001": more than 3 decimals/);
    expect(text).toMatch(/prices\.uatom must be more than 0/);
  });

  it("context_extensions price.<denom> prices that asset; `price` stays the primary; an unknown denom is an operator error", () => {
    const list = { routes: () => [], defaultPriceMicro: 1n, assets: c.assets };
    expect(resolvePrice(facts("/x", { price: "0.001", "price.uatom": "0.5" }), list)).toMatchObject({
      source: "context_extensions",
      priceMicro: 1000n,
      prices: [
        { denom: "uneutaro", amountMicro: 1000n },
        { denom: "uatom", amountMicro: 500n },
      ],
    });
    expect(resolvePrice(facts("/x", { "price.uatom": "0.5" }), list)).toMatchObject({ priceMicro: 500n, prices: [{ denom: "uatom" }] });
    expect(() => resolvePrice(facts("/x", { "price.ufoo": "1" }), list)).toThrow(PriceConfigError);
  });
});
