/**
 * The chart as its documentation shows it: every `helm template` command in README.md and the chart's
 * README runs as written (helm 3.10, offline, no --kube-version: helm assumes v1.25), the chart's
 * kubeVersion refuses what it says it refuses, and every ext_authz timeout the repository configures or
 * documents is the same 2 s (above the 1.5 s chain deadline).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { describe, expect, it } from "vitest";
import { CHART, HELM, ROOT, run } from "./helpers.js";

const DOCS = ["README.md", "helm/gate402/README.md"];

/** `helm template …` lines of ```sh blocks, continuation lines joined, comments dropped. */
function helmTemplateCommands(markdown: string): string[] {
  const blocks = [...markdown.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
  return blocks
    .flatMap((b) => b.replace(/\\\n\s*/g, " ").split("\n"))
    .map((l) => l.replace(/\s+#.*$/, "").trim())
    .filter((l) => l.startsWith("helm template "));
}

/** Splits a command line the way sh would for these simple commands (no quotes in them). */
const argv = (line: string) => line.split(/\s+/).slice(1);

describe.each(DOCS)("%s", (doc) => {
  const commands = helmTemplateCommands(readFileSync(join(ROOT, doc), "utf8"));

  it("shows a `helm template` command", () => {
    expect(commands.length).toBeGreaterThan(0);
  });

  it("every `helm template` command renders as written (no --kube-version)", async () => {
    for (const command of commands) {
      expect(command).not.toMatch(/[…<>]/); // nothing to fill in
      const res = await run(HELM, argv(command));
      expect(res.code, `${command}\n${res.stderr}`).toBe(0);
      const kinds = parseAllDocuments(res.stdout).map((d) => d.toJS()?.kind);
      expect(kinds).toContain("Deployment");
    }
  });
});

describe("kubeVersion", () => {
  const base = [
    "template",
    "gate402",
    CHART,
    "--set",
    "config.paymentAddress=neutaro1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc5lzv7xu",
    "--set",
    "secrets.databaseUrl=postgres://gate402:pw@db:5432/gate402",
  ];

  it("renders for 1.24 and later, refuses 1.23 with helm's message", async () => {
    expect((await run(HELM, [...base, "--kube-version", "1.24.0"])).code).toBe(0);
    const old = await run(HELM, [...base, "--kube-version", "1.23.0"]);
    expect(old.code).not.toBe(0);
    expect(old.stderr).toContain("chart requires kubeVersion: >=1.24.0-0");
  });
});

describe("ext_authz timeouts", () => {
  it("every `timeout:` in the docs, the chart values and the Envoy example is 2s", () => {
    const files = [
      "README.md",
      "helm/gate402/README.md",
      "helm/gate402/values.yaml",
      "deploy/envoy/envoy.yaml",
      ...readdirSync(join(ROOT, "docs"))
        .filter((f) => f.endsWith(".md"))
        .map((f) => `docs/${f}`),
    ];
    const found: string[] = [];
    for (const f of files) {
      for (const m of readFileSync(join(ROOT, f), "utf8").matchAll(/(?<![\w_])timeout:\s*([0-9.]+m?s)\b/g)) found.push(`${f}: ${m[1]}`);
    }
    expect(found.length).toBeGreaterThanOrEqual(5);
    expect(found.filter((x) => !x.endsWith(": 2s"))).toEqual([]);
  });
});
