import { describe, expect, it } from "vitest";
import { ALL_FLAGS, BASE_SET, CHART, helmTemplate, TLS_FLAGS } from "./helpers.js";

/**
 * Every rendered object must use an API that Kubernetes 1.29 (or the named CRD) serves, and validate
 * against its schema. Built-in kinds: kubernetes-models' JSON schemas. CRDs: their required fields.
 * Removed APIs (policy/v1beta1, autoscaling/v2beta2, …) are not on the allow-list, so they fail.
 */
const ALLOWED: Record<string, string[]> = {
  v1: ["ConfigMap", "Secret", "Service", "ServiceAccount"],
  "apps/v1": ["Deployment"],
  "autoscaling/v2": ["HorizontalPodAutoscaler"],
  "policy/v1": ["PodDisruptionBudget"],
  "networking.k8s.io/v1": ["NetworkPolicy"],
  "batch/v1": ["Job", "CronJob"],
  "monitoring.coreos.com/v1": ["ServiceMonitor", "PodMonitor", "PrometheusRule"],
  "security.istio.io/v1": ["AuthorizationPolicy"],
  "telemetry.istio.io/v1": ["Telemetry"],
  "gateway.envoyproxy.io/v1alpha1": ["SecurityPolicy"],
  "gateway.networking.k8s.io/v1beta1": ["ReferenceGrant"],
  "gateway.networking.k8s.io/v1alpha3": ["BackendTLSPolicy"],
};
const BUILTIN = new Set(["v1", "apps/v1", "autoscaling/v2", "policy/v1", "networking.k8s.io/v1", "batch/v1"]);

type Obj = Record<string, any>;

async function validateBuiltin(doc: Obj): Promise<void> {
  const path = doc.apiVersion === "v1" ? `v1/${doc.kind}` : `${doc.apiVersion.split("/")[0]}/${doc.apiVersion.split("/")[1]}/${doc.kind}`;
  const mod = await import(`kubernetes-models/${path}`);
  new mod[doc.kind](doc).validate(); // throws with the JSON-schema path on a bad field
}

/** Required-field checks for the CRDs we render (no CRD schemas offline). Returns problems. */
function crdProblems(doc: Obj): string[] {
  const p: string[] = [];
  const need = (cond: unknown, what: string) => {
    if (!cond) p.push(`${doc.kind} ${doc.metadata?.name}: ${what}`);
  };
  const s = doc.spec ?? {};
  switch (doc.kind) {
    case "ServiceMonitor":
      need(s.selector?.matchLabels, "spec.selector.matchLabels");
      need(s.endpoints?.length && s.endpoints.every((e: Obj) => e.port && e.path), "spec.endpoints[].port/path");
      break;
    case "PodMonitor":
      need(s.selector?.matchLabels && Object.keys(s.selector.matchLabels).length, "spec.selector.matchLabels");
      need(s.podMetricsEndpoints?.length && s.podMetricsEndpoints.every((e: Obj) => e.port), "spec.podMetricsEndpoints[].port");
      break;
    case "PrometheusRule":
      need(s.groups?.length, "spec.groups");
      for (const g of s.groups ?? []) {
        need(g.name && g.rules?.length, "groups[].name/rules");
        for (const r of g.rules ?? [])
          need(r.expr && Boolean(r.record) !== Boolean(r.alert), `rule ${r.record ?? r.alert}: expr and one of record|alert`);
      }
      break;
    case "AuthorizationPolicy":
      need(["ALLOW", "DENY", "AUDIT", "CUSTOM"].includes(s.action), "spec.action");
      if (s.action === "CUSTOM") need(s.provider?.name, "spec.provider.name for CUSTOM");
      need(s.rules?.length, "spec.rules (an empty CUSTOM policy matches nothing)");
      break;
    case "Telemetry":
      need(
        s.accessLogging?.length && s.accessLogging.every((a: Obj) => a.providers?.length && a.providers.every((p: Obj) => p.name)),
        "spec.accessLogging[].providers[].name",
      );
      break;
    case "SecurityPolicy": {
      need(s.targetRefs?.length && s.targetRefs.every((t: Obj) => t.group && t.kind && t.name), "spec.targetRefs[]");
      const ea = s.extAuth ?? {};
      need(Boolean(ea.grpc) !== Boolean(ea.http), "spec.extAuth: exactly one of grpc|http");
      need(
        ea.grpc?.backendRefs?.length && ea.grpc.backendRefs.every((b: Obj) => b.name && Number.isInteger(b.port)),
        "extAuth.grpc.backendRefs[].name/port",
      );
      for (const c of ea.contextExtensions ?? [])
        need(c.name && ["Value", "ValueRef"].includes(c.type ?? "Value"), "contextExtensions[].name/type");
      break;
    }
    case "ReferenceGrant":
      need(s.from?.length && s.from.every((f: Obj) => f.kind && f.namespace && f.group !== undefined), "spec.from[]");
      need(s.to?.length && s.to.every((t: Obj) => t.kind && t.group !== undefined), "spec.to[]");
      break;
    case "BackendTLSPolicy":
      need(s.targetRefs?.length && s.targetRefs.every((t: Obj) => t.group !== undefined && t.kind && t.name), "spec.targetRefs[]");
      need(s.validation?.hostname, "spec.validation.hostname");
      need(
        Boolean(s.validation?.caCertificateRefs?.length) !== Boolean(s.validation?.wellKnownCACertificates),
        "spec.validation: exactly one of caCertificateRefs|wellKnownCACertificates",
      );
      for (const r of s.validation?.caCertificateRefs ?? [])
        need(r.group !== undefined && r.kind && r.name, "caCertificateRefs[].group/kind/name");
      break;
    default:
      p.push(`${doc.kind}: no CRD check written`);
  }
  return p;
}

/** All problems of a rendered manifest set; [] when every object is served and valid on 1.29. */
async function manifestProblems(docs: Obj[]): Promise<string[]> {
  const problems: string[] = [];
  for (const doc of docs) {
    const id = `${doc.apiVersion} ${doc.kind} ${doc.metadata?.name}`;
    if (!ALLOWED[doc.apiVersion]?.includes(doc.kind)) {
      problems.push(`${id}: apiVersion/kind not on the Kubernetes 1.29 allow-list`);
      continue;
    }
    if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(doc.metadata?.name ?? "") || doc.metadata.name.length > 63) {
      problems.push(`${id}: bad metadata.name`);
    }
    if (BUILTIN.has(doc.apiVersion)) {
      try {
        await validateBuiltin(doc);
      } catch (err) {
        problems.push(`${id}: ${(err as Error).message}`);
      }
    } else {
      problems.push(...crdProblems(doc));
    }
  }
  return problems;
}

describe("rendered manifests against Kubernetes 1.29", () => {
  const variants: Record<string, string[]> = {
    "standalone defaults": BASE_SET,
    "standalone, every integration and monitoring flag": [...BASE_SET, ...ALL_FLAGS],
    "standalone, fixed replicas and existingSecret": [BASE_SET[0]!, "secrets.existingSecret=mine", "autoscaling.enabled=false"],
    "sidecar, every flag": [...BASE_SET, "mode=sidecar", "sidecar.podSelector.app=my-api", ...ALL_FLAGS],
    "standalone, TLS + mTLS with every flag": [...BASE_SET, ...ALL_FLAGS, ...TLS_FLAGS],
    "standalone, TLS without mTLS": [...BASE_SET, "tls.enabled=true", "tls.secretName=gate402-tls"],
    "sidecar, TLS + mTLS with every flag": [...BASE_SET, "mode=sidecar", "sidecar.podSelector.app=my-api", ...ALL_FLAGS, ...TLS_FLAGS],
  };
  it("examples/tls-values.yaml: every object is on the allow-list and schema-valid", async () => {
    const { docs, code, stderr } = await helmTemplate([], { extraArgs: ["-f", `${CHART}/examples/tls-values.yaml`] });
    expect(stderr).not.toMatch(/Error/);
    expect(code).toBe(0);
    expect(docs.map((d) => d.kind)).toEqual(expect.arrayContaining(["Deployment", "BackendTLSPolicy", "SecurityPolicy"]));
    expect(await manifestProblems(docs)).toEqual([]);
  });

  for (const [name, sets] of Object.entries(variants)) {
    it(`${name}: every object is on the allow-list and schema-valid`, async () => {
      const { docs, code, stderr } = await helmTemplate(sets);
      expect(stderr).not.toMatch(/Error/);
      expect(code).toBe(0);
      expect(docs.length).toBeGreaterThan(2);
      expect(await manifestProblems(docs)).toEqual([]);
    });
  }

  it("a removed API version is caught (policy/v1beta1 PodDisruptionBudget, autoscaling/v2beta2 HPA)", async () => {
    const { docs } = await helmTemplate(BASE_SET);
    const pdb = { ...docs.find((d) => d.kind === "PodDisruptionBudget")!, apiVersion: "policy/v1beta1" };
    const hpa = { ...docs.find((d) => d.kind === "HorizontalPodAutoscaler")!, apiVersion: "autoscaling/v2beta2" };
    const problems = await manifestProblems([pdb, hpa]);
    expect(problems).toHaveLength(2);
    expect(problems.join("\n")).toMatch(/policy\/v1beta1 PodDisruptionBudget .*allow-list/);
  });

  it("a schema violation in a built-in kind is caught (string containerPort)", async () => {
    const { docs } = await helmTemplate(BASE_SET);
    const deploy = structuredClone(docs.find((d) => d.kind === "Deployment")!);
    deploy.spec.template.spec.containers[0].ports[0].containerPort = "grpc";
    expect((await manifestProblems([deploy])).join("\n")).toMatch(/containerPort must be integer/);
  });

  it("a CRD missing a required field is caught (CUSTOM AuthorizationPolicy without provider)", async () => {
    const { docs } = await helmTemplate([...BASE_SET, ...ALL_FLAGS]);
    const ap = structuredClone(docs.find((d) => d.kind === "AuthorizationPolicy")!);
    delete ap.spec.provider;
    expect((await manifestProblems([ap])).join("\n")).toMatch(/provider\.name/);
  });
});
