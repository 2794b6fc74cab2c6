import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ALL_FLAGS, BASE_SET, CHART, HELM, ROOT, TLS_FLAGS, findDoc, helmTemplate, run } from "./helpers.js";

const kinds = (docs: Array<Record<string, any>>) => docs.map((d) => d.kind).sort();

describe("helm chart", () => {
  it("passes helm lint --strict with defaults and with every flag on", async () => {
    for (const sets of [BASE_SET, [...BASE_SET, ...ALL_FLAGS], [...BASE_SET, ...ALL_FLAGS, ...TLS_FLAGS]]) {
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
    expect(kinds(docs)).toEqual([
      "ConfigMap",
      "Deployment",
      "HorizontalPodAutoscaler",
      "Job",
      "PodDisruptionBudget",
      "Secret",
      "Secret",
      "Service",
      "ServiceAccount",
    ]);
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
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"] },
    });
    expect(c.livenessProbe.grpc).toEqual({ port: 9191 });
    expect(c.readinessProbe.grpc).toEqual({ port: 9191 });
    expect(c.lifecycle.preStop.exec.command[0]).toBe("sleep");
    expect(Number(c.lifecycle.preStop.exec.command[1])).toBeLessThan(pod.terminationGracePeriodSeconds);
    expect(pod.topologySpreadConstraints.length).toBeGreaterThan(0);
    expect(c.resources.requests).toBeDefined();
    const env = Object.fromEntries(c.env.map((e: any) => [e.name, e.value ?? e.valueFrom]));
    expect(env.GATEWAY_PAYMENT_ADDRESS).toMatch(/^neutaro1/);
    for (const k of [
      "GATEWAY_RPC",
      "GATEWAY_CHAIN_ID",
      "GATEWAY_DEFAULT_PRICE",
      "GATEWAY_MIN_CONFIRMATIONS",
      "GATEWAY_INVOICE_TTL",
      "GATEWAY_PREPAID",
      "LOG_LEVEL",
    ]) {
      expect(typeof env[k], k).toBe("string");
    }
    expect(env.GATEWAY_ROUTES_FILE).toBe("/etc/gate402/routes.yaml");
    // secrets reach gate402 as files from the Secret, never as environment variables
    const secretsVolume = pod.volumes.find((v: any) => v.name === "gate402-secrets");
    expect(secretsVolume.secret.secretName).toBe("gate402");
    const mount = c.volumeMounts.find((m: any) => m.name === "gate402-secrets");
    expect(mount).toMatchObject({ readOnly: true });
    for (const k of ["GATEWAY_INVOICE_SECRET", "JWT_SECRET", "DATABASE_URL"]) {
      expect(env[k]).toBeUndefined();
      expect(env[`${k}_FILE`]).toBe(`${mount.mountPath}/${k}`);
      expect(secretsVolume.secret.items).toContainEqual({ key: k, path: k });
    }
  });

  it("mounts the route table with prices kept as strings", async () => {
    const { docs } = await helmTemplate([...BASE_SET, "routes[0].id=premium", "routes[0].pattern=/api/premium/*", "routes[0].price=0.10"]);
    const cm = findDoc(docs, "ConfigMap", "-routes");
    expect(parse(cm.data["routes.yaml"])).toEqual({ routes: [{ id: "premium", pattern: "/api/premium/*", price: "0.10" }] });
  });

  it("uses existingSecret instead of creating secrets", async () => {
    const { docs } = await helmTemplate([`config.paymentAddress=${BASE_SET[0]!.split("=")[1]}`, "secrets.existingSecret=mine"]);
    expect(docs.filter((d) => d.kind === "Secret")).toEqual([]);
    const pod = findDoc(docs, "Deployment").spec.template.spec;
    expect(pod.volumes.find((v: any) => v.name === "gate402-secrets").secret.secretName).toBe("mine");
    expect(findDoc(docs, "Job").spec.template.spec.volumes.find((v: any) => v.secret).secret.secretName).toBe("mine");
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
      release: "app",
      chart: app,
      extraArgs: ["-f", resolve(CHART, "examples/sidecar-values.yaml")],
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
      transport_api_version: "V3",
      failure_mode_allow: false,
      status_on_error: { code: 503 },
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

  it("tls: mounts the TLS Secret, points GATEWAY_TLS_* at it and probes the plaintext health-only port", async () => {
    const { docs, code, stderr } = await helmTemplate([...BASE_SET, ...TLS_FLAGS]);
    expect(stderr).not.toMatch(/Error/);
    expect(code).toBe(0);
    const pod = findDoc(docs, "Deployment").spec.template.spec;
    const c = pod.containers[0];
    const env = Object.fromEntries(c.env.map((e: any) => [e.name, e.value]));
    const mount = c.volumeMounts.find((m: any) => m.name === "gate402-tls");
    expect(pod.volumes.find((v: any) => v.name === "gate402-tls").secret.secretName).toBe("gate402-tls");
    expect(env).toMatchObject({
      GATEWAY_TLS_CERT_FILE: `${mount.mountPath}/tls.crt`,
      GATEWAY_TLS_KEY_FILE: `${mount.mountPath}/tls.key`,
      GATEWAY_TLS_CLIENT_CA_FILE: `${mount.mountPath}/ca.crt`,
      GATEWAY_TLS_MANAGE_CLIENT_CERT: "true",
      GATEWAY_TLS_RELOAD_MS: "10000",
      GATEWAY_HEALTH_GRPC_PORT: "9192",
    });
    for (const p of ["startupProbe", "livenessProbe", "readinessProbe"]) expect(c[p].grpc).toEqual({ port: 9192 });
    expect(c.ports.map((p: any) => p.containerPort)).toEqual([9191, 4020, 9192]);
    // Prometheus scrapes the HTTPS port, verifying it with the Secret's CA
    const sm = findDoc((await helmTemplate([...BASE_SET, ...TLS_FLAGS, "monitoring.serviceMonitor.enabled=true"])).docs, "ServiceMonitor");
    expect(sm.spec.endpoints[0]).toMatchObject({
      scheme: "https",
      tlsConfig: { serverName: "gate402.default.svc.cluster.local", ca: { secret: { name: "gate402-tls", key: "ca.crt" } } },
    });
    // the health-only port is for the kubelet, not for the Service
    expect(findDoc(docs, "Service").spec.ports.map((p: any) => p.port)).toEqual([9191, 4020]);
    // without mtls: TLS only, no client CA
    const plain = await helmTemplate([...BASE_SET, "tls.enabled=true", "tls.secretName=gate402-tls"]);
    const plainEnv = findDoc(plain.docs, "Deployment").spec.template.spec.containers[0].env.map((e: any) => e.name);
    expect(plainEnv).toContain("GATEWAY_TLS_CERT_FILE");
    expect(plainEnv).not.toContain("GATEWAY_TLS_CLIENT_CA_FILE");
  });

  it("tls: refuses to render without a Secret name, or with manageClientCert but no mtls", async () => {
    const noSecret = await helmTemplate([...BASE_SET, "tls.enabled=true"]);
    expect(noSecret.code).not.toBe(0);
    expect(noSecret.stderr).toMatch(/tls\.secretName .* is required/);
    const noMtls = await helmTemplate([...BASE_SET, "tls.enabled=true", "tls.secretName=s", "tls.manageClientCert=true"]);
    expect(noMtls.code).not.toBe(0);
    expect(noMtls.stderr).toMatch(/tls\.manageClientCert needs tls\.mtls/);
  });

  it("tls: Envoy's gate402 cluster speaks TLS (h2, CA, SAN of the Service) with its client certificate under mTLS", async () => {
    const { docs } = await helmTemplate([...BASE_SET, ...TLS_FLAGS, "integrations.envoy.enabled=true"]);
    const envoy = parse(findDoc(docs, "ConfigMap", "-envoy").data["envoy.yaml"]);
    const gate = envoy.static_resources.clusters.find((c: any) => c.name === "gate402");
    const tls = gate.transport_socket.typed_config;
    expect(gate.transport_socket.name).toBe("envoy.transport_sockets.tls");
    expect(tls["@type"]).toBe("type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext");
    expect(tls.sni).toBe("gate402.default.svc.cluster.local");
    expect(tls.common_tls_context).toEqual({
      alpn_protocols: ["h2"],
      tls_certificates: [
        { certificate_chain: { filename: "/etc/envoy/gate402-tls/tls.crt" }, private_key: { filename: "/etc/envoy/gate402-tls/tls.key" } },
      ],
      validation_context: {
        trusted_ca: { filename: "/etc/envoy/gate402-tls/ca.crt" },
        match_typed_subject_alt_names: [{ san_type: "DNS", matcher: { exact: "gate402.default.svc.cluster.local" } }],
      },
    });
    // the upstream (application) cluster is untouched, and without tls there is no transport_socket at all
    expect(envoy.static_resources.clusters.find((c: any) => c.name === "upstream").transport_socket).toBeUndefined();
    const plain = parse(
      findDoc((await helmTemplate([...BASE_SET, "integrations.envoy.enabled=true"])).docs, "ConfigMap", "-envoy").data["envoy.yaml"],
    );
    expect(plain.static_resources.clusters.find((c: any) => c.name === "gate402").transport_socket).toBeUndefined();
  });

  it("tls: Envoy Gateway gets a BackendTLSPolicy on the gate402 Service's grpc port with the CA ConfigMap", async () => {
    const { docs } = await helmTemplate([...BASE_SET, ...ALL_FLAGS, ...TLS_FLAGS]);
    const policy = findDoc(docs, "BackendTLSPolicy");
    expect(policy.spec).toEqual({
      targetRefs: [{ group: "", kind: "Service", name: "gate402", sectionName: "grpc" }],
      validation: {
        caCertificateRefs: [{ group: "", kind: "ConfigMap", name: "gate402-ca" }],
        hostname: "gate402.default.svc.cluster.local",
      },
    });
    expect(findDoc(docs, "Service").spec.ports.find((p: any) => p.name === "grpc").port).toBe(
      findDoc(docs, "SecurityPolicy").spec.extAuth.grpc.backendRefs[0].port,
    );
    const missing = await helmTemplate([...BASE_SET, ...ALL_FLAGS, "tls.enabled=true", "tls.secretName=s"]);
    expect(missing.stderr).toMatch(/backendTLS\.caConfigMap .* is required/);
    expect((await helmTemplate([...BASE_SET, ...ALL_FLAGS])).docs.some((d) => d.kind === "BackendTLSPolicy")).toBe(false);
  });
});
