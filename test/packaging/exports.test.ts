/**
 * What package.json promises resolves after `npm run build`: every `exports` target, `bin`, and the
 * files each points at can be imported (a consumer's `import "gate402/client"` works).
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "..", "..");
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  exports: Record<string, string>;
  bin: Record<string, string>;
};

beforeAll(() => {
  if (!existsSync(join(ROOT, "dist", "src"))) execFileSync("npm", ["run", "build", "--silent"], { cwd: ROOT, stdio: "ignore" });
}, 120_000);

describe("package.json", () => {
  it.each(Object.entries(pkg.exports))("exports[%j] → %s exists and imports", async (_, target) => {
    expect(existsSync(join(ROOT, target))).toBe(true);
    const mod = await import(pathToFileURL(join(ROOT, target)).href);
    expect(Object.keys(mod).length).toBeGreaterThan(0);
  });

  it.each(Object.entries(pkg.bin))("bin %s → %s exists and starts with a node shebang", (_, target) => {
    expect(readFileSync(join(ROOT, target), "utf8")).toMatch(/^#!\/usr\/bin\/env node\n/);
  });
});
