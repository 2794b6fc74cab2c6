import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ROOT, run } from "./helpers.js";

const DIR = resolve(ROOT, "monitoring/prometheus");

describe("Prometheus rules", () => {
  it("promtool check rules accepts monitoring/prometheus/rules.yaml", async () => {
    const res = await run("promtool", ["check", "rules", "rules.yaml"], DIR);
    expect(res.stdout + res.stderr).toMatch(/SUCCESS: \d+ rules found/);
    expect(res.code).toBe(0);
  });

  it("every alert fires on its synthetic failure and stays quiet when healthy (promtool test rules)", async () => {
    const res = await run("promtool", ["test", "rules", "rules.test.yaml"], DIR);
    expect(res.stdout + res.stderr).toMatch(/SUCCESS/);
    expect(res.code).toBe(0);
  });

  it("every alert in rules.yaml has a firing and a quiet unit test", () => {
    const rules = parse(readFileSync(resolve(DIR, "rules.yaml"), "utf8"));
    const tests = parse(readFileSync(resolve(DIR, "rules.test.yaml"), "utf8"));
    const alerts: string[] = rules.groups
      .flatMap((g: any) => g.rules)
      .filter((r: any) => r.alert)
      .map((r: any) => r.alert);
    const cases = tests.tests.flatMap((t: any) => t.alert_rule_test ?? []);
    expect(alerts.length).toBeGreaterThanOrEqual(5);
    for (const a of alerts) {
      const mine = cases.filter((c: any) => c.alertname === a);
      expect(
        mine.some((c: any) => c.exp_alerts.length > 0),
        `${a} fires somewhere`,
      ).toBe(true);
      expect(
        mine.some((c: any) => c.exp_alerts.length === 0),
        `${a} stays quiet somewhere`,
      ).toBe(true);
    }
  });

  it("the unit tests can fail: a loosened threshold breaks the quiet case", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gate402-rules-"));
    const loosened = readFileSync(resolve(DIR, "rules.yaml"), "utf8").replace("> 20\n", "> 1\n");
    writeFileSync(join(dir, "rules.yaml"), loosened);
    writeFileSync(join(dir, "rules.test.yaml"), readFileSync(resolve(DIR, "rules.test.yaml")));
    const res = await run("promtool", ["test", "rules", "rules.test.yaml"], dir);
    expect(res.code).not.toBe(0);
    expect(res.stdout + res.stderr).toMatch(/Gate402WatcherLagHigh/);
  });
});
