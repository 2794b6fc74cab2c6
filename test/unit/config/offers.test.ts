import { describe, expect, it } from "vitest";
import { parsePassKeys } from "../../../src/config/pass-keys.js";
import { parseRoutesYaml, RouteConfigError } from "../../../src/config/routes.js";

const problemsOf = (yaml: string): readonly string[] => {
  try {
    parseRoutesYaml(yaml);
  } catch (err) {
    if (err instanceof RouteConfigError) return err.problems;
    throw err;
  }
  return [];
};

describe("routes file offers", () => {
  it("parses bundles (string or list), scope and passes; every route of a scope sells its passes", () => {
    const rules = parseRoutesYaml(`routes:
  - { id: a, pattern: /a/*, price: "0.001", bundles: "1000=0.8,100=0.09", scope: api, passes: [{ seconds: 3600, price: "1.0" }] }
  - { id: b, pattern: /b/*, price: "0.001", bundles: [{ uses: 5, price: "0.004" }], scope: api }
  - { id: c, pattern: /c/*, price: "0.001" }
`);
    expect(rules[0]!.bundles).toEqual([
      { uses: 100, priceMicro: 90_000n },
      { uses: 1000, priceMicro: 800_000n },
    ]);
    expect(rules[1]!.bundles).toEqual([{ uses: 5, priceMicro: 4_000n }]);
    expect(rules[1]!.passes).toEqual([{ seconds: 3600, priceMicro: 1_000_000n }]);
    expect(rules[2]).not.toHaveProperty("scope");
  });

  it("reports every bad offer together, naming its entry", () => {
    const problems = problemsOf(`routes:
  - { id: a, pattern: /a/*, price: "0.001", bundles: "1=0.1,5=0.0000001,x" }
  - { id: b, pattern: /b/*, price: "0.001", passes: [{ seconds: 3600, price: "1" }] }
  - { id: c, pattern: /c/*, price: "0.001", scope: "bad scope", passes: [{ seconds: 10, price: "1" }, { seconds: 600, price: "0" }] }
  - { id: d, pattern: /d/*, price: "0.001", scope: s, passes: [{ seconds: 600, price: "1" }] }
  - { id: e, pattern: /e/*, price: "0.001", scope: s, passes: [{ seconds: 600, price: "2" }] }
`);
    expect(problems.join("\n")).toMatch(/routes\[0\] \(a\) bundles entry 1: uses must be an integer from 2/);
    expect(problems.join("\n")).toMatch(/routes\[0\] \(a\) bundles entry 2: price/);
    expect(problems.join("\n")).toMatch(/entry 3 "x": expected uses=price/);
    expect(problems.join("\n")).toMatch(/routes\[1\] \(b\): passes need a scope/);
    expect(problems.join("\n")).toMatch(/scope "bad scope" must be/);
    expect(problems.join("\n")).toMatch(/seconds must be an integer from 60/);
    expect(problems.join("\n")).toMatch(/price must be above 0/);
    expect(problems.join("\n")).toMatch(/scope "s": its routes list different passes/);
  });
});

describe("GATEWAY_PASS_KEYS", () => {
  it("the first key signs, all verify; unset derives one key from the invoice secret", () => {
    const problems: string[] = [];
    const ring = parsePassKeys(`new:${"n".repeat(32)}, old:${"o".repeat(40)}`, "x".repeat(40), problems);
    expect(problems).toEqual([]);
    expect(ring.signing.kid).toBe("new");
    expect(ring.verifying.map((k) => k.kid)).toEqual(["new", "old"]);
    const a = parsePassKeys(undefined, "x".repeat(40), problems);
    const b = parsePassKeys(undefined, "x".repeat(40), problems);
    expect(a.signing.kid).toBe("inv1");
    expect(Buffer.from(a.signing.secret).equals(Buffer.from(b.signing.secret))).toBe(true);
    expect(Buffer.from(parsePassKeys(undefined, "y".repeat(40), problems).signing.secret).equals(Buffer.from(a.signing.secret))).toBe(
      false,
    );
  });

  it("short secrets, bad ids and duplicates are reported without echoing secrets", () => {
    const problems: string[] = [];
    parsePassKeys("a:short,b c:" + "s".repeat(32) + ",d:" + "t".repeat(32) + ",d:" + "u".repeat(32), "x".repeat(40), problems);
    expect(problems).toHaveLength(3);
    expect(problems.join(" ")).not.toMatch(/short|sss|ttt/);
  });
});
