/**
 * The monitoring shipped in the chart, checked against a live scrape of the running service:
 * every metric the Grafana dashboard and the Prometheus rules query is really exported, and the
 * exposition passes `promtool check metrics`.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { accessLogMessage, metadataOf, streamAccessLogs } from "../support/access-log.js";
import { checkClient, type ExtAuthzClient } from "../support/extauthz-client.js";
import { deniedBody, envoyCheck, httpStatus } from "../support/check-request.js";
import { checkDashboardMetrics, exposedMetricNames, metricNamesInExpr, promtoolCheckMetrics } from "../support/metrics-names.js";
import { startStack, type Stack } from "../support/stack.js";

let stack: Stack;
let client: ExtAuthzClient;
let exposition: string;

beforeAll(async () => {
  stack = await startStack();
  client = checkClient(`127.0.0.1:${stack.gw.grpcPort}`);
  // Exercise every path so labelled series exist: 402, paid, replay, prepaid, deposit, chain calls.
  const inv = deniedBody(await client.check(envoyCheck())).payment;
  const { txHash } = await stack.agent.send(inv.address, BigInt(inv.amountMicro), inv.memo);
  const proof = { "x-payment-proof": `${inv.invoiceId}:${txHash}` };
  expect(httpStatus(await client.check(envoyCheck({ headers: proof })))).toBe(200);
  await client.check(envoyCheck({ headers: proof }));
  const acct = await (await fetch(`${stack.gw.httpUrl}/prepaid/accounts`, { method: "POST" })).json();
  const dep = await stack.agent.send(acct.depositAddress, 5000n, acct.depositMemo);
  await fetch(`${stack.gw.httpUrl}/prepaid/deposit`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ clientId: acct.clientId, txHash: dep.txHash }),
  });
  const prepaid = await client.check(envoyCheck({ headers: { "x-client-id": acct.clientId, "x-client-key": acct.clientKey } }));
  // The upstream failed that request: Envoy's access log gets it refunded.
  await streamAccessLogs(stack.gw.grpcPort, [accessLogMessage([{ metadata: metadataOf(prepaid), status: 503 }])]);
  const res = await fetch(`${stack.gw.httpUrl}/metrics`);
  expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
  exposition = await res.text();
});
afterAll(async () => {
  client?.close();
  await stack?.stop();
});

describe("monitoring against a live /metrics scrape", () => {
  it("exports every metric docs/design.md names", () => {
    const names = exposedMetricNames(exposition);
    for (const m of [
      "gate402_checks_total",
      "gate402_check_duration_seconds_count",
      "gate402_invoices_issued_total",
      "gate402_payments_total",
      "gate402_revenue_uneutaro_total",
      "gate402_prepaid_debits_total",
      "gate402_chain_requests_total",
      "gate402_chain_request_duration_seconds_count",
      "gate402_chain_latest_height",
      "gate402_chain_watcher_lag_blocks",
      "gate402_chain_watcher_height",
      "gate402_refunds_total",
      "gate402_refunds_uneutaro_total",
      "gate402_access_log_entries_total",
    ])
      expect(names, m).toContain(m);
    expect(exposition).toMatch(/gate402_refunds_total\{route="default",method="prepaid",reason="upstream_5xx"\} 1/);
    expect(exposition).toMatch(/gate402_revenue_uneutaro_total\{route="default",method="invoice"\} 1000/);
    expect(exposition).toMatch(/gate402_checks_total\{transport="grpc",outcome="allow",method="prepaid",route="default"\} 1/);
  });

  it("every metric the Grafana dashboard queries is in the scrape", () => {
    const dashboard = JSON.parse(readFileSync("monitoring/grafana/gate402-dashboard.json", "utf8"));
    expect(checkDashboardMetrics(dashboard, exposition)).toEqual([]);
  });

  it("every metric the Prometheus rules query is in the scrape (or is a recording rule)", () => {
    const rules = parse(readFileSync("monitoring/prometheus/rules.yaml", "utf8")) as {
      groups: { rules: { expr: string; record?: string }[] }[];
    };
    const recorded = new Set(rules.groups.flatMap((g) => g.rules.map((r) => r.record).filter(Boolean)));
    const names = exposedMetricNames(exposition);
    const unknown = rules.groups
      .flatMap((g) => g.rules.flatMap((r) => metricNamesInExpr(r.expr)))
      .filter((n) => !names.has(n) && !recorded.has(n));
    expect([...new Set(unknown)]).toEqual([]);
  });

  it("the scrape passes promtool check metrics for every gate402 metric", async () => {
    const lint = await promtoolCheckMetrics(exposition);
    const lines = lint.output.split("\n").filter((l) => l.trim());
    // prom-client's own default gauges nodejs_active_{handles,requests,resources}_total carry a _total
    // suffix promtool dislikes; they are the library's names, not ours, so only gate402_* must be clean.
    expect(lines.filter((l) => !/^nodejs_active_\w+_total /.test(l))).toEqual([]);
  });
});
