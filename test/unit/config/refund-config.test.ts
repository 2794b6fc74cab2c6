import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../../src/config/load.js";

const env = (overrides: Record<string, string> = {}) => ({
  GATEWAY_PAYMENT_ADDRESS: "neutaro1w8xkwq5cdrqqx2lqe3m6ddvzq5t7yfc8f4fpgm",
  GATEWAY_INVOICE_SECRET: "9f2c4e7a1b3d5f60718293a4b5c6d7e8f9012a3b4c5d6e7f8091a2b3c4d5e6f7",
  JWT_SECRET: "c0ffee00deadbeef1234567890abcdef0fedcba9876543210aa55aa55aa55aa5",
  ...overrides,
});

describe("refund settings", () => {
  it("default: 5xx within 600 s", () => {
    const c = loadConfig(env(), "production");
    expect(c.refundPolicy.spec).toBe("5xx");
    expect(c.refundPolicy.refunds(502)).toBe(true);
    expect(c.refundPolicy.refunds(404)).toBe(false);
    expect(c.refundWindowSeconds).toBe(600);
  });

  it("GATEWAY_REFUND_ON and GATEWAY_REFUND_WINDOW are read", () => {
    const c = loadConfig(env({ GATEWAY_REFUND_ON: "5xx,404", GATEWAY_REFUND_WINDOW: "30" }), "production");
    expect(c.refundPolicy.refunds(404)).toBe(true);
    expect(c.refundWindowSeconds).toBe(30);
    expect(loadConfig(env({ GATEWAY_REFUND_ON: "none" }), "production").refundPolicy.refunds(503)).toBe(false);
  });

  it("a bad refund set and a bad window are reported together with the other problems", () => {
    try {
      loadConfig(env({ GATEWAY_REFUND_ON: "5xx,teapot", GATEWAY_REFUND_WINDOW: "0", GATEWAY_DEFAULT_PRICE: "-1" }), "production");
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const problems = (err as ConfigError).problems.join("\n");
      expect(problems).toMatch(/GATEWAY_REFUND_ON: "teapot"/);
      expect(problems).toMatch(/GATEWAY_REFUND_WINDOW/);
      expect(problems).toMatch(/GATEWAY_DEFAULT_PRICE/);
    }
  });
});
