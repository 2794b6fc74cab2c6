/**
 * deploy/envoy/envoy.yaml (identical to the chart's, see helm.test.ts) is a valid Envoy v3 bootstrap by
 * the UPSTREAM Envoy protos: `buf convert` reads it as envoy.config.bootstrap.v3.Bootstrap, resolving
 * every typed_config (ext_authz, router, the http_grpc access logger, HTTP/2 upstream options) and
 * refusing unknown fields or enum names — what `envoy --mode validate` checks first.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { BufCurlError, envoyConfigImage, runBuf } from "../support/buf.js";
import { ROOT } from "./helpers.js";

const camel = (k: string) => k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
// protojson omits zero values; an omitted UPPER_CASE string is an enum's zero value (lb_policy: ROUND_ROBIN).
const isDefault = (v: unknown) =>
  v === false ||
  v === 0 ||
  v === "" ||
  (typeof v === "string" && /^[A-Z][A-Z0-9_]*$/.test(v)) ||
  (typeof v === "object" && v !== null && Object.keys(v).length === 0);

/**
 * Paths of `input` (non-default values) missing from buf's output: buf's JSON reader skips unknown
 * fields, so a misspelt field shows up as dropped. Map keys (with dots) are kept as they are.
 */
function dropped(input: unknown, output: unknown, path = "$"): string[] {
  if (Array.isArray(input)) return input.flatMap((v, i) => dropped(v, (output as unknown[] | undefined)?.[i], `${path}[${i}]`));
  if (typeof input !== "object" || input === null) return [];
  const out = (output ?? {}) as Record<string, unknown>;
  return Object.entries(input).flatMap(([k, v]) => {
    const key = k in out ? k : camel(k);
    if (!(key in out)) return isDefault(v) ? [] : [`${path}.${k}`];
    return dropped(v, out[key], `${path}.${k}`);
  });
}

/** The YAML read as an upstream Bootstrap (protojson); @throws BufCurlError, or Error naming dropped fields. */
async function asBootstrap(yamlText: string): Promise<any> {
  const image = await envoyConfigImage();
  const input = parse(yamlText);
  const out = JSON.parse(
    await runBuf(
      ["convert", image, "--type", "envoy.config.bootstrap.v3.Bootstrap", "--from", "-#format=json", "--to", "-#format=json"],
      JSON.stringify(input),
    ),
  );
  const lost = dropped(input, out);
  if (lost.length) throw new Error(`fields unknown to Envoy: ${lost.join(", ")}`);
  return out;
}

describe("deploy/envoy/envoy.yaml against the upstream Envoy protos", () => {
  const text = readFileSync(resolve(ROOT, "deploy/envoy/envoy.yaml"), "utf8");

  it("is a valid Bootstrap whose listener sends failed allowed requests to gate402's access log service", async () => {
    const bootstrap = await asBootstrap(text);
    const hcm = bootstrap.staticResources.listeners[0].filterChains[0].filters[0].typedConfig;
    expect(hcm["@type"]).toBe("type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager");
    const [log] = hcm.accessLog;
    expect(log.typedConfig).toMatchObject({
      "@type": "type.googleapis.com/envoy.extensions.access_loggers.grpc.v3.HttpGrpcAccessLogConfig",
      commonConfig: { logName: "gate402", transportApiVersion: "V3", grpcService: { envoyGrpc: { clusterName: "gate402" } } },
    });
    const [status, metadata] = log.filter.andFilter.filters;
    expect(status.statusCodeFilter.comparison).toMatchObject({ op: "GE", value: { defaultValue: 500 } });
    expect(metadata.metadataFilter.matcher).toEqual({
      filter: "envoy.filters.http.ext_authz",
      path: [{ key: "decision_id" }],
      value: { presentMatch: true },
    });
    // The access log goes to the same cluster (the ext_authz port) as Check.
    const authz = hcm.httpFilters.find((f: any) => f.name === "envoy.filters.http.ext_authz").typedConfig;
    expect(authz.grpcService.envoyGrpc.clusterName).toBe(log.typedConfig.commonConfig.grpcService.envoyGrpc.clusterName);
  });

  it("a misspelt field or a mistyped value is refused (the check can fail)", async () => {
    const broken = text.replace("log_name: gate402", "logname: gate402");
    expect(broken).not.toBe(text);
    await expect(asBootstrap(broken)).rejects.toThrow(/fields unknown to Envoy: .*logname/);
    const badType = text.replace("default_value: 500", "default_value: five-hundred");
    expect(badType).not.toBe(text);
    await expect(asBootstrap(badType)).rejects.toBeInstanceOf(BufCurlError);
  });
});
