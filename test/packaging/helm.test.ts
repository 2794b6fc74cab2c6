import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ALL_FLAGS, BASE_SET, CHART, HELM, ROOT, findDoc, helmTemplate, run } from "./helpers.js";

const kinds = (docs: Array<Record<string, any>>) => docs.map((d) => d.kind).sort();

describe("helm chart", () => {
  it("passes helm lint --strict with defaults and with every flag on", async () => {
    for (const sets of [BASE_SET, [...BASE_SET, ...ALL_FLAGS]]) {
      const res = await run(HELM, ["lint", "--strict", CHART, ...sets.flatMap((s) => ["--set", s])]);
      expect(res.stderr + res.stdout).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
      expect(res.code).toBe(0);
    }
  });

  it("carries the package.json version as appVersion", () => {
    const chart = parse(readFileSync(resolve(CHART, "Chart.yaml"), "utf8"));
    const pkg = JSON.parse(readFileSync(resolve(ROOT, "package.json"), "utf8"));
    expect(chart.apiVersion).toBe("v2");
    expect(chart.appVersion).toBe(pkg.version);
  });

  it("standalone renders Deployment, Service, HPA, PDB, ServiceAccount, routes ConfigMap, Secret and the migration hook", async () => {
    const { docs, code, stderr } = await helmTemplate(BASE_SET);
    expect(stderr).not.toMatch(/Error/);
    expect(code).toBe(0);
    expect(kinds(docs)).toEqual(
      ["ConfigMap", "Deployment", "HorizontalPodAutoscaler", "Job", "PodDisruptionBudget", "Secret", "Secret", "Service", "ServiceAccount"],
    );
    const svc = findDoc(docs, "Service");
    expect(svc.spec.ports).toEqual([
      expect.objectContaining({ name: "grpc", port: 9191, appProtocol: "grpc" }),
      expect.objectContaining({ name: "http", port: 4020 }),
    ]);
    const job = findDoc(docs, "Job");
    expect(job.metadata.annotations["helm.sh/hook"]).toBe("pre-install,pre-upgrade");
    expect(job.spec.template.spec.containers[0].args).toEqual(["node", "dist/src/cli.js", "migrate"]);
  });

  it("the gate402 container is hardened, probed over gRPC health and drains before stopping", async () => {
    const { docs } = await helmTemplate(BASE_SET);
    const pod = findDoc(docs, "Deployment").spec.template.spec;
    const c = pod.containers[0];
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
    expect(c.securityContext).toMatchObject({
      runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] },
    });
    expect(c.livenessProbe.grpc).toEqual({ port: 9191 });
    expect(c.readinessProbe.grpc).toEqual({ port: 9191 });
    expect(c.lifecycle.preStop.exec.command[0]).toBe("sleep");
    expect(Number(c.lifecycle.preStop.exec.command[1])).toBeLessThan(pod.terminationGracePeriodSeconds);
    expect(pod.topologySpreadConstraints.length).toBeGreaterThan(0);
    expect(c.resources.requests).toBeDefined();
    const env = Object.fromEntries(c.env.map((e: any) => [e.name, e.value ?? e.valueFrom]));
    expect(env.GATEWAY_PAYMENT_ADDRESS).toMatch(/^neutaro1/);
    for (const k of ["GATEWAY_RPC", "GATEWAY_CHAIN_ID", "GATEWAY_DEFAULT_PRICE", "GATEWAY_MIN_CONFIRMATIONS", "GATEWAY_INVOICE_TTL", "GATEWAY_PREPAID", "LOG_LEVEL"]) {
      expect(typeof env[k], k).toBe("string");
    }
    expect(env.GATEWAY_ROUTES_FILE).toBe("/etc/gate402/routes.yaml");
    for (const k of ["GATEWAY_INVOICE_SECRET", "JWT_SECRET", "DATABASE_URL"]) expect(env[k].secretKeyRef.key).toBe(k);
  });

  it("mounts the route table with prices kept as strings", async () => {
    const { docs } = await helmTemplate([...BASE_SET, "routes[0].id=premium", "routes[0].pattern=/api/premium/*", "routes[0].price=0.10"]);
    const cm = findDoc(docs, "ConfigMap", "-routes");
    expect(parse(cm.data["routes.yaml"])).toEqual({ routes: [{ id: "premium", pattern: "/api/premium/*", price: "0.10" }] });
  });

  it("uses existingSecret instead of creating secrets", async () => {
    const { docs } = await helmTemplate([`config.paymentAddress=${BASE_SET[0]!.split("=")[1]}`, "secrets.existingSecret=mine"]);
    expect(docs.filter((d) => d.kind === "Secret")).toEqual([]);
    const env = findDoc(docs, "Deployment").spec.template.spec.containers[0].env;
    expect(env.find((e: any) => e.name === "DATABASE_URL").valueFrom.secretKeyRef.name).toBe("mine");
  });

  it("refuses to render without a payment address, saying which value to set", async () => {
    for (const mode of ["standalone", "sidecar"]) {
      const res = await helmTemplate([`mode=${mode}`, "secrets.databaseUrl=postgres://x@db/x"]);
      expect(res.code).not.toBe(0);
      expect(res.stderr).toMatch(/config\.paymentAddress is required/);
    }
  });

  it("values.schema.json rejects an unknown mode and a malformed price", async () => {
    const bad = await helmTemplate([...BASE_SET, "mode=daemonset"]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/mode must be one of the following: "standalone", "sidecar"/);
    const price = await helmTemplate([...BASE_SET, "config.defaultPrice=0.0000001"]);
    expect(price.code).not.toBe(0);
    expect(price.stderr).toMatch(/defaultPrice/);
  });

  it("sidecar mode renders no Deployment or Service, and a PodMonitor instead of a ServiceMonitor", async () => {
    const { docs, code } = await helmTemplate([...BASE_SET, "mode=sidecar", "sidecar.podSelector.app=my-api", ...ALL_FLAGS]);
    expect(code).toBe(0);
    for (const k of ["Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget", "ServiceMonitor", "SecurityPolicy"]) {
      expect(kinds(docs)).not.toContain(k);
    }
    expect(kinds(docs)).toContain("PodMonitor");
    const envoy = parse(findDoc(docs, "ConfigMap", "-envoy").data["envoy.yaml"]);
    const gate = envoy.static_resources.clusters.find((c: any) => c.name === "gate402");
    expect(gate.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address.address).toBe("127.0.0.1");
  });

  it("an application chart can include gate402.sidecarContainer next to its Envoy", async () => {
    const app = resolve(ROOT, "test/packaging/fixtures/app-with-sidecar");
    const res = await helmTemplate([], {
      release: "app", chart: app, extraArgs: ["-f", resolve(CHART, "examples/sidecar-values.yaml")],
    });
    expect(res.stderr).not.toMatch(/Error/);
    const deploy = res.docs.find((d) => d.kind === "Deployment" && d.metadata.name === "my-api")!;
    const names = deploy.spec.template.spec.containers.map((c: any) => c.name);
    expect(names).toEqual(["my-api", "envoy", "gate402"]);
    const gate = deploy.spec.template.spec.containers[2];
    expect(gate.image).toBe("ghcr.io/gate402/gate402:0.1.0");
    const volumes = deploy.spec.template.spec.volumes.map((v: any) => v.configMap?.name ?? v.name);
    // the routes volume points at the ConfigMap the gate402 subchart rendered
    const routesCm = res.docs.find((d) => d.kind === "ConfigMap" && d.metadata.name.endsWith("-routes"))!;
    expect(volumes).toContain(routesCm.metadata.name);
  });

  it("embeds monitoring/prometheus/rules.yaml and the Grafana dashboard unchanged", async () => {
    const { docs } = await helmTemplate([...BASE_SET, ...ALL_FLAGS]);
    const rules = parse(readFileSync(resolve(ROOT, "monitoring/prometheus/rules.yaml"), "utf8"));
    expect(findDoc(docs, "PrometheusRule").spec).toEqual(rules);
    const cm = findDoc(docs, "ConfigMap", "-dashboard");
    expect(cm.metadata.labels.grafana_dashboard).toBe("1");
    const dashboard = JSON.parse(readFileSync(resolve(ROOT, "monitoring/grafana/gate402-dashboard.json"), "utf8"));
    expect(JSON.parse(cm.data["gate402.json"])).toEqual(dashboard);
  });

  it("deploy/envoy/envoy.yaml is the chart's envoy.yaml for release gate402 in namespace default", async () => {
    const { docs } = await helmTemplate([...BASE_SET, "integrations.envoy.enabled=true"]);
    const rendered = parse(findDoc(docs, "ConfigMap", "-envoy").data["envoy.yaml"]);
    expect(parse(readFileSync(resolve(ROOT, "deploy/envoy/envoy.yaml"), "utf8"))).toEqual(rendered);
  });

  it("the Envoy example fails closed with 503, prices routes via context_extensions and frees health", async () => {
    const { docs } = await helmTemplate([...BASE_SET, "integrations.envoy.enabled=true"]);
    const envoy = parse(findDoc(docs, "ConfigMap", "-envoy").data["envoy.yaml"]);
    const hcm = envoy.static_resources.listeners[0].filter_chains[0].filters[0].typed_config;
    const authz = hcm.http_filters.find((f: any) => f.name === "envoy.filters.http.ext_authz").typed_config;
    expect(authz).toMatchObject({
      transport_api_version: "V3", failure_mode_allow: false, status_on_error: { code: 503 },
      grpc_service: { envoy_grpc: { cluster_name: "gate402" } },
    });
    const routes = hcm.route_config.virtual_hosts[0].routes;
    const perRoute = (r: any) => r.typed_per_filter_config?.["envoy.filters.http.ext_authz"];
    expect(routes.some((r: any) => perRoute(r)?.disabled === true)).toBe(true);
    const paid = routes.find((r: any) => perRoute(r)?.check_settings);
    expect(perRoute(paid)["@type"]).toMatch(/ExtAuthzPerRoute$/);
    expect(perRoute(paid).check_settings.context_extensions).toEqual({ price: "0.01", route: "premium" });
  });

  it("Istio and Envoy Gateway objects point at the gate402 gRPC port and never fail open", async () => {
    const { docs } = await helmTemplate([...BASE_SET, ...ALL_FLAGS]);
    const ap = findDoc(docs, "AuthorizationPolicy");
    expect(ap.spec).toMatchObject({ action: "CUSTOM", provider: { name: "gate402" } });
    expect(ap.spec.rules[0].to[0].operation.paths).toEqual(["/api/*"]);
    const sp = findDoc(docs, "SecurityPolicy");
    expect(sp.metadata.namespace).toBe("apps");
    expect(sp.spec.extAuth.failOpen).toBe(false);
    expect(sp.spec.extAuth.grpc.backendRefs[0]).toMatchObject({ kind: "Service", name: "gate402", namespace: "default", port: 9191 });
    expect(sp.spec.extAuth.contextExtensions).toEqual([
      { name: "price", type: "Value", value: "0.01" },
      { name: "route", type: "Value", value: "premium" },
    ]);
    // cross-namespace backendRef is granted
    expect(findDoc(docs, "ReferenceGrant").spec.from[0]).toMatchObject({ kind: "SecurityPolicy", namespace: "apps" });
  });
});
