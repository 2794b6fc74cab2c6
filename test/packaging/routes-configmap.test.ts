/**
 * The chart's routes ConfigMap is read by gate402's real route parser: what an operator puts in
 * values.routes must load at start-up exactly as the YAML routes file documented in the README.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseRoutesYaml } from "../../src/config/routes.js";
import { BASE_SET, findDoc, helmTemplate } from "./helpers.js";

async function renderedRoutes(values: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "gate402-routes-"));
  const file = join(dir, "values.yaml");
  writeFileSync(file, values);
  const res = await helmTemplate(BASE_SET, { extraArgs: ["-f", file] });
  expect(res.code, res.stderr).toBe(0);
  return findDoc(res.docs, "ConfigMap", "-routes").data["routes.yaml"];
}

describe("routes ConfigMap → gate402 route parser", () => {
  it("values.routes render to a file the real parser loads with exact prices, methods and free routes", async () => {
    const yaml = await renderedRoutes(`routes:
  - { id: premium-data, method: GET, pattern: /api/premium/*, price: "0.010000" }
  - { pattern: /api/cheap/*, price: "0.000001" }
  - { pattern: /api/health, free: true }
`);
    const rules = parseRoutesYaml(yaml, "rendered ConfigMap");
    expect(rules.map((r) => [r.id, r.method, r.priceMicro])).toEqual([
      ["premium-data", "GET", 10_000n],
      ["/api/cheap/*", undefined, 1n],
      ["/api/health", undefined, 0n],
    ]);
    expect(rules[0]!.matches("/api/premium/x/y")).toBe(true);
  });
});
