import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { createMetrics, initOfferMetrics } from "../../src/observability/metrics.js";
import { exposedMetricNames, metricNamesInExpr } from "../support/metrics-names.js";
import { ROOT } from "./helpers.js";

const dashboard = JSON.parse(readFileSync(resolve(ROOT, "monitoring/grafana/gate402-dashboard.json"), "utf8")) as {
  panels: { title: string; targets: { expr: string }[] }[];
};
const OFFER_PANELS = ["Revenue by offer kind (NTMPI per hour)", "Pass checks by result", "Passes issued and pass-paid requests"];

describe("offer and pass panels", () => {
  it("the dashboard has the offer and pass panels", () => {
    const titles = dashboard.panels.map((p) => p.title);
    for (const t of OFFER_PANELS) expect(titles).toContain(t);
  });

  it("every offer/pass metric they query is exported by a freshly started service's registry, before any pass was sold", async () => {
    const m = createMetrics();
    initOfferMetrics(m);
    const exposed = exposedMetricNames(await m.registry.metrics());
    const used = dashboard.panels
      .filter((p) => OFFER_PANELS.includes(p.title))
      .flatMap((p) => p.targets.flatMap((t) => metricNamesInExpr(t.expr)));
    expect(used).toEqual(
      expect.arrayContaining(["gate402_offer_revenue_uneutaro_total", "gate402_pass_checks_total", "gate402_passes_issued_total"]),
    );
    // gate402_checks_total only appears after the first check; its presence is covered by the live scrape test.
    expect(used.filter((n) => n !== "gate402_checks_total" && !exposed.has(n))).toEqual([]);
  });

  it("a fresh registry without the zero-initialisation would leave the labelled offer series missing (the check can fail)", async () => {
    const exposed = exposedMetricNames(await createMetrics().registry.metrics());
    expect(exposed.has("gate402_pass_checks_total")).toBe(false);
  });
});
