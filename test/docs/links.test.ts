/**
 * Every pointer in the documentation resolves: relative markdown links (and their #anchors, for markdown
 * targets) and file paths written as code (`src/store/embedded.ts`, `deploy/envoy/envoy.yaml`) in
 * README.md, docs/ and the chart's README. Build outputs (`dist/src/x.js`) count when their source exists.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "..", "..");
const DOCS = [
  "README.md",
  "helm/gate402/README.md",
  ...readdirSync(join(ROOT, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => `docs/${f}`),
];
// Top-level entries a code-span path may start with (a path elsewhere is an example, not a pointer).
const TOP = new Set(readdirSync(ROOT).filter((e) => e !== "node_modules" && !e.startsWith(".git")));

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes, duplicates numbered. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  let fenced = false;
  for (const line of markdown.split("\n")) {
    if (/^\s*```/.test(line)) fenced = !fenced;
    const h = !fenced && /^#{1,6}\s+(.*)$/.exec(line);
    if (!h) continue;
    const base = h[1]!
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, "")
      .replace(/\s/g, "-");
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n ? `${base}-${n}` : base);
  }
  return out;
}

/** Text outside fenced code blocks (links and spans there are examples, not pointers). */
const prose = (md: string) =>
  md
    .split(/^\s*```.*$/m)
    .filter((_, i) => i % 2 === 0)
    .join("\n");

function links(md: string): string[] {
  return [...prose(md).matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((m) => m[1]!).filter((t) => !/^[a-z][a-z0-9+.-]*:/i.test(t));
}

function codePaths(md: string): string[] {
  return [...prose(md).matchAll(/`([^`\s]+)`/g)]
    .map((m) => m[1]!.replace(/^\.\//, "").replace(/[:#].*$/, ""))
    .filter((p) => p.includes("/") || TOP.has(p))
    .filter((p) => TOP.has(p.split("/")[0]!) && !/[*{}<>…]/.test(p));
}

/** dist/src/a/b.js → src/a/b.ts: built files are pointers to their source. */
const source = (p: string) => (p.startsWith("dist/") ? p.replace(/^dist\//, "").replace(/\.js$/, ".ts") : p);

describe.each(DOCS)("%s", (doc) => {
  const file = join(ROOT, doc);
  const md = readFileSync(file, "utf8");

  it("every relative link resolves (file, and #anchor in markdown targets)", () => {
    const broken: string[] = [];
    for (const target of links(md)) {
      const [path, anchor] = target.split("#") as [string, string | undefined];
      const abs = path ? resolve(dirname(file), decodeURIComponent(path)) : file;
      if (!existsSync(abs)) {
        broken.push(`${target}: no ${relative(ROOT, abs)}`);
        continue;
      }
      if (anchor && abs.endsWith(".md") && !anchors(readFileSync(abs, "utf8")).has(anchor.toLowerCase()))
        broken.push(`${target}: no heading #${anchor}`);
    }
    expect(broken).toEqual([]);
  });

  it("every file path written as code exists in the repository", () => {
    const missing = codePaths(md).filter((p) => {
      const s = source(p);
      return !existsSync(join(ROOT, s)) && !existsSync(join(dirname(file), s));
    });
    expect(missing).toEqual([]);
  });
});

describe("the checker itself", () => {
  it("finds links, anchors and code paths, and skips URLs and fenced examples", () => {
    const md =
      "# A b\n## A b\n[x](docs/nope.md) [y](https://e.org) `src/cli.ts` `GATEWAY_RPC` `/manage/x`\n```\n[z](zz.md) `src/zz.ts`\n```\n";
    expect(links(md)).toEqual(["docs/nope.md"]);
    expect(codePaths(md)).toEqual(["src/cli.ts"]);
    expect([...anchors(md)]).toEqual(["a-b", "a-b-1"]);
    expect(statSync(join(ROOT, "src", "cli.ts")).isFile()).toBe(true);
  });
});
