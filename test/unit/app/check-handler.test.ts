import pino from "pino";
import { describe, expect, it } from "vitest";
import { checkHandler } from "../../../src/app/check-handler.js";
import type { Decision } from "../../../src/core/decision.js";
import type { RequestFacts } from "../../../src/core/facts.js";
import { createMetrics } from "../../../src/observability/metrics.js";

const facts: RequestFacts = {
  transport: "grpc",
  method: "GET",
  host: "api.example.com",
  path: "/api/data",
  pathWithQuery: "/api/data",
  scheme: "https",
  headers: {},
  contextExtensions: {},
};
const deny: Decision = {
  kind: "deny",
  decisionId: "d-1",
  method: "none",
  routeId: "default",
  outcome: "payment_required",
  status: 402,
  reason: "PAYMENT_REQUIRED",
  headers: { "content-type": "application/json" },
  body: { error: "PAYMENT_REQUIRED" },
};

function logs() {
  const lines: any[] = [];
  const log = pino({ level: "debug" }, { write: (l: string) => void lines.push(JSON.parse(l)) });
  return { log, lines };
}

describe("checkHandler", () => {
  it("dry run allows a request the core denies, tells upstream why, and logs the real decision", async () => {
    const { log, lines } = logs();
    const m = createMetrics();
    const handle = checkHandler({ decide: async () => deny }, m, log, true);
    const d = await handle(facts);
    expect(d.kind).toBe("allow");
    if (d.kind !== "allow") return;
    expect(d.upstreamHeaders["x-gate402-dry-run"]).toBe("PAYMENT_REQUIRED");
    expect(d.priceMicro).toBe(0n);
    expect(lines.some((l) => l.decisionId === "d-1" && l.outcome === "payment_required" && l.dryRun === true)).toBe(true);
    // the metric records what the gate really decided
    expect(await m.registry.getSingleMetricAsString("gate402_checks_total")).toContain('outcome="payment_required"');
  });

  it("without dry run the deny passes through unchanged", async () => {
    const { log } = logs();
    const handle = checkHandler({ decide: async () => deny }, createMetrics(), log, false);
    expect(await handle(facts)).toBe(deny);
  });

  it("a core failure is counted as an error and rethrown (the transport answers a transport error)", async () => {
    const { log, lines } = logs();
    const m = createMetrics();
    const handle = checkHandler(
      {
        decide: async () => {
          throw new Error("boom");
        },
      },
      m,
      log,
      false,
    );
    await expect(handle(facts)).rejects.toThrow("boom");
    expect(await m.registry.getSingleMetricAsString("gate402_checks_total")).toContain('outcome="error"');
    expect(lines.some((l) => l.level === 50 && l.msg === "check failed")).toBe(true);
  });
});

describe("checkHandler: a misconfigured context_extensions price", () => {
  it("stays a transport error on every request but is logged once per route and cause", async () => {
    const { log, lines } = logs();
    const { PriceConfigError } = await import("../../../src/core/pricing.js");
    const handle = checkHandler(
      {
        decide: async (f) => {
          throw new PriceConfigError(`context_extensions price: bad "${f.contextExtensions["price"]}"`);
        },
      },
      createMetrics(),
      log,
      false,
    );
    const premium = { ...facts, contextExtensions: { route: "premium", price: "1.2.3" } };
    const other = { ...facts, contextExtensions: { route: "other", price: "x" } };
    for (let i = 0; i < 5; i++) {
      await expect(handle(premium)).rejects.toBeInstanceOf(PriceConfigError);
      await expect(handle(other)).rejects.toBeInstanceOf(PriceConfigError);
    }
    const errors = lines.filter((l) => l.level >= 50);
    expect(errors).toHaveLength(2);
    expect(errors.map((l) => l.route).sort()).toEqual(["other", "premium"]);
  });
});
