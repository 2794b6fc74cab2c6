import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { checkDashboardMetrics, metricNamesInExpr, promtoolCheckMetrics } from "../support/metrics-names.js";
import { ROOT, run } from "./helpers.js";

const dashboardPath = resolve(ROOT, "monitoring/grafana/gate402-dashboard.json");
const dashboard = JSON.parse(readFileSync(dashboardPath, "utf8"));

/**
 * The service's metrics as docs/design.md lists them (prom-client: histograms expose _bucket/_sum/_count).
 * Stand-in until the lead's live-scrape test feeds the real /metrics output to the same functions.
 */
function designExposition(): string {
  const m = (name: string, type: string, help: string, samples: string[]) =>
    [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...samples].join("\n");
  const hist = (name: string, help: string, labels: string) =>
    m(name, "histogram", help, [
      `${name}_bucket{${labels},le="0.005"} 1`,
      `${name}_bucket{${labels},le="+Inf"} 1`,
      `${name}_sum{${labels}} 0.001`,
      `${name}_count{${labels}} 1`,
    ]);
  return (
    [
      m("gate402_checks_total", "counter", "Check decisions", [
        'gate402_checks_total{transport="grpc",outcome="allow",method="invoice",route="r"} 1',
      ]),
      hist("gate402_check_duration_seconds", "Check latency", 'transport="grpc",outcome="allow"'),
      m("gate402_invoices_issued_total", "counter", "Invoices issued", ['gate402_invoices_issued_total{route="r"} 1']),
      m("gate402_payments_total", "counter", "Payments", ['gate402_payments_total{kind="invoice",result="accepted",reason="none"} 1']),
      m("gate402_revenue_uneutaro_total", "counter", "Revenue", ['gate402_revenue_uneutaro_total{route="r",method="invoice"} 1000']),
      m("gate402_prepaid_debits_total", "counter", "Prepaid debits", ['gate402_prepaid_debits_total{result="applied"} 1']),
      m("gate402_refunds_total", "counter", "Refunds", ['gate402_refunds_total{route="r",method="prepaid",reason="upstream_5xx"} 1']),
      m("gate402_refunds_uneutaro_total", "counter", "Refunded value", ['gate402_refunds_uneutaro_total{route="r",method="prepaid"} 1000']),
      m("gate402_access_log_entries_total", "counter", "Access log entries", ['gate402_access_log_entries_total{result="refunded"} 1']),
      m("gate402_offer_revenue_uneutaro_total", "counter", "Revenue by offer kind", [
        'gate402_offer_revenue_uneutaro_total{offer="bundle"} 4000',
      ]),
      m("gate402_passes_issued_total", "counter", "Passes issued", ["gate402_passes_issued_total 1"]),
      m("gate402_pass_checks_total", "counter", "Pass checks", ['gate402_pass_checks_total{result="valid"} 1']),
      m("gate402_chain_requests_total", "counter", "Chain RPC calls", ['gate402_chain_requests_total{rpc_method="status",outcome="ok"} 1']),
      hist("gate402_chain_request_duration_seconds", "Chain RPC latency", 'rpc_method="status"'),
      m("gate402_chain_latest_height", "gauge", "Chain head", ["gate402_chain_latest_height 100"]),
      m("gate402_chain_watcher_height", "gauge", "Watcher height", ["gate402_chain_watcher_height 99"]),
      m("gate402_chain_watcher_lag_blocks", "gauge", "Watcher lag", ["gate402_chain_watcher_lag_blocks 1"]),
      m("gate402_db_pool_connections", "gauge", "Pool size", ["gate402_db_pool_connections 10"]),
      m("gate402_db_pool_idle", "gauge", "Idle connections", ["gate402_db_pool_idle 5"]),
      m("gate402_db_pool_waiting", "gauge", "Waiting queries", ["gate402_db_pool_waiting 0"]),
      m("process_cpu_seconds_total", "counter", "CPU", ["process_cpu_seconds_total 1"]),
      m("process_resident_memory_bytes", "gauge", "RSS", ["process_resident_memory_bytes 1000"]),
    ].join("\n") + "\n"
  );
}

describe("Grafana dashboard", () => {
  it("type-checks against @grafana/schema's Dashboard (and the check rejects an unknown field)", async () => {
    // Written as an object literal, so string unions and excess properties are checked, not widened JSON.
    const dir = resolve(ROOT, "node_modules/.cache/gate402-packaging");
    mkdirSync(dir, { recursive: true });
    const json = readFileSync(dashboardPath, "utf8");
    writeFileSync(
      resolve(dir, "dashboard.check.ts"),
      [
        'import type { Dashboard } from "@grafana/schema";',
        `export const dashboard: Dashboard = ${json};`,
        "// @ts-expect-error proves the check bites: Dashboard has no field 'panelz'",
        "export const wrong: Dashboard = { schemaVersion: 39, panelz: [] };",
        "",
      ].join("\n"),
    );
    const tsc = resolve(ROOT, "node_modules/typescript/bin/tsc");
    const res = await run(process.execPath, [
      tsc,
      "--noEmit",
      "--strict",
      "--skipLibCheck",
      "--module",
      "NodeNext",
      "--moduleResolution",
      "NodeNext",
      "--target",
      "ES2022",
      resolve(dir, "dashboard.check.ts"),
    ]);
    expect(res.stdout + res.stderr).toBe("");
    expect(res.code).toBe(0);
  });

  it("has the panels the operators need, each with a PromQL target on the templated datasource", () => {
    const titles = dashboard.panels.map((p: any) => p.title);
    for (const t of [
      "Decisions by outcome",
      "402 issued vs paid",
      "Revenue by route (NTMPI per hour)",
      "Prepaid debits by result",
      "Decision latency p50 / p99",
      "Chain RPC latency p99",
      "Chain RPC requests by outcome",
      "Chain height",
      "Watcher lag (blocks)",
      "DB pool",
      "Refunds of upstream failures by route and reason",
    ]) {
      expect(titles).toContain(t);
    }
    for (const p of dashboard.panels) {
      expect(p.targets.length, p.title).toBeGreaterThan(0);
      expect(p.datasource.uid, p.title).toBe("${datasource}");
    }
    const revenue = dashboard.panels.find((p: any) => p.title.startsWith("Revenue by route")).targets[0].expr;
    expect(revenue).toMatch(/gate402_revenue_uneutaro_total.*\/ 1e6/);
  });

  it("extracts metric names from PromQL, ignoring functions, labels, keywords and Grafana variables", () => {
    expect(
      metricNamesInExpr(
        'histogram_quantile(0.99, sum by (le, rpc_method) (rate(gate402_chain_request_duration_seconds_bucket{x="a b"}[$__rate_interval])))',
      ),
    ).toEqual(["gate402_chain_request_duration_seconds_bucket"]);
    expect(metricNamesInExpr("sum(a_total) / on (instance) group_left b and c offset 5m > bool 1e6").sort()).toEqual(["a_total", "b", "c"]);
  });

  it("every metric a panel queries is in the service's exposition (names from docs/design.md)", async () => {
    const exposition = designExposition();
    expect(checkDashboardMetrics(dashboard, exposition)).toEqual([]);
    const lint = await promtoolCheckMetrics(exposition);
    const problems = lint.output.split("\n").filter((l) => l.trim());
    expect(problems).toEqual([]);
  });

  it("reports a metric the service does not export, and promtool flags a badly named counter", async () => {
    const bad = { panels: [{ targets: [{ expr: "sum(rate(gate402_checks_total[5m])) / sum(gate402_no_such_metric)" }] }] };
    expect(checkDashboardMetrics(bad, designExposition())).toEqual(["gate402_no_such_metric"]);
    const lint = await promtoolCheckMetrics(
      "# HELP gate402_checks counter without suffix\n# TYPE gate402_checks counter\ngate402_checks 1\n",
    );
    expect(lint.ok).toBe(false);
    expect(lint.output).toMatch(/_total/);
  });
});
