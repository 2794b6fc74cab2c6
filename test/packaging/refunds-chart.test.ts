import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { loadConfig } from "../../src/config/load.js";
import { ALL_FLAGS, BASE_SET, findDoc, helmTemplate } from "./helpers.js";

const accessLogOf = (docs: Array<Record<string, any>>) => {
  const envoy = parse(findDoc(docs, "ConfigMap", "-envoy").data["envoy.yaml"]);
  return envoy.static_resources.listeners[0].filter_chains[0].filters[0].typed_config.access_log;
};

describe("chart: refunds of upstream failures", () => {
  it("passes GATEWAY_REFUND_ON and GATEWAY_REFUND_WINDOW, which gate402 accepts", async () => {
    const { docs } = await helmTemplate([...BASE_SET, "config.refundOn=5xx\\,404", "config.refundWindow=120"]);
    const env = Object.fromEntries(findDoc(docs, "Deployment").spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value]));
    expect(env).toMatchObject({ GATEWAY_REFUND_ON: "5xx,404", GATEWAY_REFUND_WINDOW: "120" });
    const config = loadConfig(
      {
        GATEWAY_PAYMENT_ADDRESS: env.GATEWAY_PAYMENT_ADDRESS,
        GATEWAY_REFUND_ON: env.GATEWAY_REFUND_ON,
        GATEWAY_REFUND_WINDOW: env.GATEWAY_REFUND_WINDOW,
      },
      "dev",
    );
    expect(config.refundPolicy.refunds(404)).toBe(true);
    expect(config.refundWindowSeconds).toBe(120);
  });

  it("passes GATEWAY_LEDGER_ROLLUPS, _ROLLUP_MS, GATEWAY_USAGE_RETENTION and _MAINTENANCE_MS, which gate402 accepts", async () => {
    const set = ["config.ledgerRollups=false", "config.ledgerRollupMs=5000", "config.usageRetention=14", "config.usageMaintenanceMs=0"];
    const { docs } = await helmTemplate([...BASE_SET, ...set]);
    const env = Object.fromEntries(findDoc(docs, "Deployment").spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value]));
    expect(env).toMatchObject({
      GATEWAY_LEDGER_ROLLUPS: "false",
      GATEWAY_LEDGER_ROLLUP_MS: "5000",
      GATEWAY_USAGE_RETENTION: "14",
      GATEWAY_USAGE_MAINTENANCE_MS: "0",
    });
    const config = loadConfig(
      {
        GATEWAY_PAYMENT_ADDRESS: env.GATEWAY_PAYMENT_ADDRESS,
        GATEWAY_LEDGER_ROLLUPS: env.GATEWAY_LEDGER_ROLLUPS,
        GATEWAY_LEDGER_ROLLUP_MS: env.GATEWAY_LEDGER_ROLLUP_MS,
        GATEWAY_USAGE_RETENTION: env.GATEWAY_USAGE_RETENTION,
        GATEWAY_USAGE_MAINTENANCE_MS: env.GATEWAY_USAGE_MAINTENANCE_MS,
      },
      "dev",
    );
    expect([config.ledgerRollups, config.ledgerRollupMs, config.usageRetentionDays, config.usageMaintenanceMs]).toEqual([
      false,
      5000,
      14,
      0,
    ]);
    const defaults = await helmTemplate(BASE_SET);
    const defaultEnv = Object.fromEntries(
      findDoc(defaults.docs, "Deployment").spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value]),
    );
    expect(defaultEnv).toMatchObject({
      GATEWAY_LEDGER_ROLLUPS: "true",
      GATEWAY_LEDGER_ROLLUP_MS: "60000",
      GATEWAY_USAGE_RETENTION: "7",
      GATEWAY_USAGE_MAINTENANCE_MS: "3600000",
    });
    expect((await helmTemplate([...BASE_SET, "config.usageRetention=0"])).code).not.toBe(0);
    expect((await helmTemplate([...BASE_SET, "config.ledgerRollupMs=3600001"])).code).not.toBe(0);
  });

  it("usageMaintenance.cronJob runs `gate402 maintain` with the retention and the database URL file", async () => {
    expect((await helmTemplate(BASE_SET)).docs.filter((d) => d?.kind === "CronJob")).toEqual([]);
    const { docs } = await helmTemplate([...BASE_SET, "usageMaintenance.cronJob.enabled=true", "config.usageRetention=10"]);
    const cron = findDoc(docs, "CronJob", "-maintain");
    expect(cron.spec.schedule).toBe("17 * * * *");
    const container = cron.spec.jobTemplate.spec.template.spec.containers[0];
    expect(container.args).toEqual(["node", "dist/src/cli.js", "maintain"]);
    expect(Object.fromEntries(container.env.map((e: any) => [e.name, e.value]))).toEqual({
      GATEWAY_USAGE_RETENTION: "10",
      DATABASE_URL_FILE: "/etc/gate402-secrets/DATABASE_URL",
    });
  });

  it("values.schema.json refuses a refund set gate402 would refuse", async () => {
    const bad = await helmTemplate([...BASE_SET, "config.refundOn=server-errors"]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/refundOn/);
  });

  it("Envoy's access log follows integrations.envoy.accessLog (min status, off)", async () => {
    const on = await helmTemplate([...BASE_SET, "integrations.envoy.enabled=true", "integrations.envoy.accessLog.minStatus=400"]);
    const [log] = accessLogOf(on.docs);
    expect(log.filter.and_filter.filters[0].status_code_filter.comparison.value.default_value).toBe(400);
    expect(log.typed_config.common_config.grpc_service.envoy_grpc.cluster_name).toBe("gate402");
    const off = await helmTemplate([...BASE_SET, "integrations.envoy.enabled=true", "integrations.envoy.accessLog.enabled=false"]);
    expect(accessLogOf(off.docs)).toBeUndefined();
  });

  it("under Istio a Telemetry sends the protected workloads' 5xx to the envoyHttpAls provider", async () => {
    const { docs } = await helmTemplate([...BASE_SET, ...ALL_FLAGS]);
    const t = findDoc(docs, "Telemetry");
    const ap = findDoc(docs, "AuthorizationPolicy");
    expect(t.spec.selector).toEqual(ap.spec.selector);
    expect(t.metadata.namespace).toBe(ap.metadata.namespace);
    expect(t.spec.accessLogging).toEqual([{ providers: [{ name: "gate402-refunds" }], filter: { expression: "response.code >= 500" } }]);
    const off = await helmTemplate([...BASE_SET, ...ALL_FLAGS, "integrations.istio.accessLog.enabled=false"]);
    expect(off.docs.some((d) => d.kind === "Telemetry")).toBe(false);
  });
});
