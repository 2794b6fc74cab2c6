import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compileGlob, loadRoutesFile, parseRoutesEnv, parseRoutesYaml, RouteConfigError } from "../../../src/config/routes.js";

/** Runs `fn`, expects a RouteConfigError and returns its problems. */
function problemsOf(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(RouteConfigError);
    return (err as RouteConfigError).problems;
  }
  throw new Error("expected a RouteConfigError");
}

describe("compileGlob", () => {
  it("`*` matches any run of characters, also across `/`", () => {
    const m = compileGlob("/api/*");
    expect(m("/api/data")).toBe(true);
    expect(m("/api/v1/deep/path")).toBe(true);
    expect(m("/api/")).toBe(true);
    expect(m("/apix/data")).toBe(false);
    expect(m("/other/api/data")).toBe(false);
  });

  it("`*` in the middle of a pattern spans segments", () => {
    const m = compileGlob("/v1/*/report");
    expect(m("/v1/acme/report")).toBe(true);
    expect(m("/v1/acme/eu/report")).toBe(true);
    expect(m("/v1/acme/report/2")).toBe(false);
  });

  it("`?` matches exactly one character", () => {
    const m = compileGlob("/v?/items");
    expect(m("/v1/items")).toBe(true);
    expect(m("/v2/items")).toBe(true);
    expect(m("/v/items")).toBe(false);
    expect(m("/v10/items")).toBe(false);
  });

  it("patterns are anchored: a prefix or suffix match is not a match", () => {
    const m = compileGlob("/api/data");
    expect(m("/api/data")).toBe(true);
    expect(m("/api/data/x")).toBe(false);
    expect(m("/x/api/data")).toBe(false);
  });

  it('a pattern with regex metacharacters "/v1/a.b(c)+" matches only itself', () => {
    const m = compileGlob("/v1/a.b(c)+");
    expect(m("/v1/a.b(c)+")).toBe(true);
    expect(m("/v1/axb(c)+")).toBe(false);
    expect(m("/v1/a.bc")).toBe(false);
    expect(m("/v1/a.bcc")).toBe(false);
    expect(m("/v1/a.b(c)(c)")).toBe(false);
  });

  it('"/api/[x]" is a literal bracket, not a character class', () => {
    const m = compileGlob("/api/[x]");
    expect(m("/api/[x]")).toBe(true);
    expect(m("/api/x")).toBe(false);
  });

  it.each([
    ["/a|b", "/a|b", "/a"],
    ["/price$", "/price$", "/price"],
    ["/^root", "/^root", "/root"],
    ["/x{2}", "/x{2}", "/xx"],
    ["/back\\slash", "/back\\slash", "/backslash"],
  ])("metacharacters in %j are literal", (pattern, itself, other) => {
    const m = compileGlob(pattern);
    expect(m(itself)).toBe(true);
    expect(m(other)).toBe(false);
  });
});

describe("parseRoutesEnv (ClawPurse format)", () => {
  it("empty or unset gives no routes", () => {
    expect(parseRoutesEnv(undefined)).toEqual([]);
    expect(parseRoutesEnv("  ")).toEqual([]);
  });

  it("reads pattern=price entries in order, prices in uneutaro", () => {
    const rules = parseRoutesEnv("/api/v1/expensive/*=1.0,/api/v1/cheap/*=0.001");
    expect(rules.map((r) => [r.id, r.method, r.pattern, r.priceMicro])).toEqual([
      ["/api/v1/expensive/*", undefined, "/api/v1/expensive/*", 1_000_000n],
      ["/api/v1/cheap/*", undefined, "/api/v1/cheap/*", 1_000n],
    ]);
    expect(rules[0]!.matches("/api/v1/expensive/model/run")).toBe(true);
    expect(rules[1]!.matches("/api/v1/expensive/model/run")).toBe(false);
  });

  it("an optional method prefix binds the rule to that method and goes into the id", () => {
    const [rule] = parseRoutesEnv("GET /api/*=0.01");
    expect(rule).toMatchObject({ id: "GET /api/*", method: "GET", pattern: "/api/*", priceMicro: 10_000n });
  });

  it("a lowercase method is normalised to uppercase", () => {
    const [rule] = parseRoutesEnv(" post /api/jobs = 0.5 ");
    expect(rule).toMatchObject({ id: "POST /api/jobs", method: "POST", pattern: "/api/jobs", priceMicro: 500_000n });
  });

  it("a price of 0 makes the route free", () => {
    expect(parseRoutesEnv("/health=0")[0]!.priceMicro).toBe(0n);
  });

  it("a price with 7 decimals stops start-up naming the entry", () => {
    const problems = problemsOf(() => parseRoutesEnv("/api/a=0.01,/api/b=0.0000001"));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('entry 2 "/api/b=0.0000001"');
    expect(problems[0]).toContain("more than 6 decimals");
  });

  it("every bad entry is reported together, each named", () => {
    const problems = problemsOf(() => parseRoutesEnv("/ok=1,/neg=-1,FETCH /x=1,api/*=1,/nothing,=2,/exp=1e3"));
    expect(problems).toHaveLength(6);
    expect(problems.join("\n")).toMatch(/entry 2 "\/neg=-1".*negative/);
    expect(problems.join("\n")).toMatch(/entry 3 "FETCH \/x=1".*unknown method "FETCH"/);
    expect(problems.join("\n")).toMatch(/entry 4 "api\/\*=1".*must start with "\/"/);
    expect(problems.join("\n")).toMatch(/entry 5 "\/nothing".*expected pattern=price/);
    expect(problems.join("\n")).toMatch(/entry 6 "=2".*expected pattern=price/);
    expect(problems.join("\n")).toMatch(/entry 7 "\/exp=1e3".*not a decimal/);
  });

  it("the error message lists every problem", () => {
    try {
      parseRoutesEnv("/a=x,/b=y");
    } catch (err) {
      expect((err as Error).message).toMatch(/entry 1[\s\S]*entry 2/);
      return;
    }
    expect.unreachable();
  });

  it("a route id longer than 64 characters is refused", () => {
    const long = `/${"a".repeat(64)}`;
    expect(problemsOf(() => parseRoutesEnv(`${long}=1`))[0]).toContain("1-64 printable ASCII");
  });

  it('the pattern "*" alone is accepted as a catch-all', () => {
    const [rule] = parseRoutesEnv("*=0.002");
    expect(rule!.matches("/anything/at/all")).toBe(true);
  });
});

describe("parseRoutesYaml", () => {
  const yaml = `
routes:
  - id: premium
    method: post
    pattern: /api/premium/*
    price: "0.25"
  - pattern: /health
    free: true
  - method: GET
    pattern: /api/*
    price: "0.001"
`;

  it("reads id, method, pattern and price or free, in order", () => {
    const rules = parseRoutesYaml(yaml);
    expect(rules.map((r) => [r.id, r.method, r.pattern, r.priceMicro])).toEqual([
      ["premium", "POST", "/api/premium/*", 250_000n],
      ["/health", undefined, "/health", 0n],
      ["GET /api/*", "GET", "/api/*", 1_000n],
    ]);
    expect(rules[0]!.matches("/api/premium/model")).toBe(true);
  });

  it("a numeric YAML price is refused: it must be a quoted string so 0.1 stays exact", () => {
    const problems = problemsOf(() => parseRoutesYaml("routes:\n  - id: cheap\n    pattern: /api/*\n    price: 0.1\n"));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain("routes[0] (cheap)");
    expect(problems[0]).toContain("quoted decimal string");
  });

  it("an unknown key in an entry is refused", () => {
    const problems = problemsOf(() => parseRoutesYaml('routes:\n  - pattern: /api/*\n    price: "0.1"\n    cost: "0.2"\n'));
    expect(problems.join("\n")).toMatch(/routes\.0.*cost/);
  });

  it("an unknown top-level key is refused", () => {
    const problems = problemsOf(() => parseRoutesYaml('routes: []\ndefault: "0.1"\n'));
    expect(problems.join("\n")).toContain("default");
  });

  it("an entry with neither price nor free is refused", () => {
    expect(problemsOf(() => parseRoutesYaml("routes:\n  - pattern: /api/*\n"))[0]).toContain("needs price, prices or free: true");
  });

  it("collects problems of every entry and names each by id or pattern", () => {
    const problems = problemsOf(() =>
      parseRoutesYaml(
        `
routes:
  - id: seven
    pattern: /a
    price: "0.0000001"
  - pattern: /b
    price: 2
  - pattern: c/*
    price: "1"
  - id: fine
    pattern: /d
    price: "1"
`,
        "routes.yaml",
      ),
    );
    expect(problems).toHaveLength(3);
    expect(problems[0]).toMatch(/^routes\.yaml routes\[0\] \(seven\): .*more than 6 decimals/);
    expect(problems[1]).toMatch(/^routes\.yaml routes\[1\] \(\/b\): .*quoted/);
    expect(problems[2]).toMatch(/^routes\.yaml routes\[2\] \(c\/\*\): .*must start with/);
  });

  it("invalid YAML is one clear problem", () => {
    expect(problemsOf(() => parseRoutesYaml("routes: [\n", "r.yaml"))[0]).toMatch(/^r\.yaml: not valid YAML/);
  });

  it("loadRoutesFile reads the file and names it in problems", () => {
    const dir = mkdtempSync(join(tmpdir(), "gate402-routes-"));
    const file = join(dir, "routes.yaml");
    writeFileSync(file, 'routes:\n  - pattern: /api/*\n    price: "0.02"\n');
    expect(loadRoutesFile(file)[0]!.priceMicro).toBe(20_000n);
    writeFileSync(file, "routes:\n  - pattern: /api/*\n    price: 0.02\n");
    expect(problemsOf(() => loadRoutesFile(file))[0]).toContain(`GATEWAY_ROUTES_FILE ${file}`);
    expect(problemsOf(() => loadRoutesFile(join(dir, "missing.yaml")))[0]).toContain("missing.yaml");
  });
});
