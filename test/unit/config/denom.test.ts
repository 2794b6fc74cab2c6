import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../../src/config/load.js";

const base = {
  GATEWAY_PAYMENT_ADDRESS: "neutaro1w8xkwq5cdrqqx2lqe3m6ddvzq5t7yfc8f4fpgm",
  GATEWAY_INVOICE_SECRET: "9f2c4e7a1b3d5f60718293a4b5c6d7e8f9012a3b4c5d6e7f8091a2b3c4d5e6f7",
  JWT_SECRET: "c0ffee00deadbeef1234567890abcdef0fedcba9876543210aa55aa55aa55aa5",
};

describe("GATEWAY_DENOM", () => {
  it("accepts native and IBC denoms (Cosmos SDK denom syntax, uppercase hash)", () => {
    for (const denom of [
      "uneutaro",
      "uatom",
      "ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2",
      "factory/neutaro1abc/ufoo",
    ]) {
      expect(loadConfig({ ...base, GATEWAY_DENOM: denom }, "production").denom).toBe(denom);
    }
  });

  it("refuses what no Cosmos chain can name", () => {
    for (const denom of ["1atom", "ab", "u neutaro", "ibc/ABC DEF"]) {
      expect(() => loadConfig({ ...base, GATEWAY_DENOM: denom }, "production"), denom).toThrow(ConfigError);
    }
  });
});
