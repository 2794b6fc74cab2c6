import { describe, expect, it } from "vitest";
import { parseRefundPolicy, refundReason, RefundPolicyError } from "../../../src/core/refunds.js";

describe("GATEWAY_REFUND_ON", () => {
  it("the default 5xx refunds every 5xx and nothing else", () => {
    const p = parseRefundPolicy("5xx");
    expect([500, 502, 503, 504, 599].every((s) => p.refunds(s))).toBe(true);
    expect([0, 200, 204, 301, 404, 429, 499, 600].some((s) => p.refunds(s))).toBe(false);
  });

  it("classes and single codes combine; case and spaces do not matter", () => {
    const p = parseRefundPolicy(" 5XX, 404 ,429");
    expect(p.spec).toBe("5xx,404,429");
    expect([404, 429, 500].every((s) => p.refunds(s))).toBe(true);
    expect([400, 403, 200].some((s) => p.refunds(s))).toBe(false);
  });

  it("none and the empty string turn refunds off", () => {
    for (const spec of ["none", "", " "]) {
      const p = parseRefundPolicy(spec);
      expect(p.spec).toBe("");
      expect(p.refunds(503)).toBe(false);
    }
  });

  it("anything else is refused, naming the entry", () => {
    for (const bad of ["6xx", "5x", "50", "1000", "server-errors", "5xx,none", "5xx;404"]) {
      expect(() => parseRefundPolicy(bad), bad).toThrow(RefundPolicyError);
    }
    expect(() => parseRefundPolicy("5xx,oops")).toThrow(/"oops"/);
  });
});

describe("refund reason", () => {
  const reason = (status: number, ...flags: string[]) => refundReason({ status, flags: new Set(flags) });

  it("names the Envoy response flag that explains the failure", () => {
    expect(reason(504, "upstream_request_timeout")).toBe("upstream_timeout");
    expect(reason(503, "upstream_connection_failure")).toBe("upstream_connect_failure");
    expect(reason(503, "no_healthy_upstream")).toBe("no_healthy_upstream");
    expect(reason(503, "upstream_overflow")).toBe("upstream_overflow");
    expect(reason(503, "upstream_remote_reset")).toBe("upstream_reset");
  });

  it("without a flag: upstream_5xx for a 5xx the upstream sent, status for a configured non-5xx", () => {
    expect(reason(500)).toBe("upstream_5xx");
    expect(reason(404)).toBe("status");
    expect(reason(500, "some_future_flag")).toBe("upstream_5xx");
  });
});
