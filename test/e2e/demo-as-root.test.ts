/**
 * The README's first command where it used to crash: root, with the project (and so node_modules and the
 * embedded Postgres binaries) inside a mode-700 folder in root's home, as in a container or a fresh VM.
 * Postgres refuses root and runs as another user, who cannot enter that folder.
 *
 * The project is reproduced in a new mode-700 folder under root's home: node_modules hard-linked (copied
 * when the home is on another file system), dist/proto/migrations/package.json copied, and the devnet workspace
 * package (its package.json and dist, where node_modules/@gate402/devnet links to). Skipped, saying why, when not root.
 */
import { execFileSync, spawn } from "node:child_process";
import { chmodSync, cpSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..", "..");
const AS_ROOT = process.getuid?.() === 0;

function run(
  cwd: string,
  args: string[],
  env: Record<string, string | undefined>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["dist/src/cli.js", ...args], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

// Embedded Postgres on purpose: no DATABASE_URL of the test run may leak in.
const env = (extra: Record<string, string> = {}) => ({
  PATH: process.env["PATH"],
  HOME: homedir(),
  LOG_LEVEL: "warn",
  ...extra,
});

describe.skipIf(!AS_ROOT)("as root in a mode-700 home folder (skipped: not running as root, the case needs uid 0)", () => {
  let home: string;
  let project: string;
  beforeAll(() => {
    if (!existsSync(join(ROOT, "dist", "src", "cli.js"))) execFileSync("npm", ["run", "build", "--silent"], { cwd: ROOT, stdio: "ignore" });
    home = mkdtempSync(join(homedir(), "gate402-firstrun-"));
    chmodSync(home, 0o700);
    project = join(home, "gate402");
    execFileSync("mkdir", ["-p", project]);
    try {
      execFileSync("cp", ["-al", join(ROOT, "node_modules"), join(project, "node_modules")], { stdio: "ignore" });
    } catch {
      // Home on another file system than the checkout: a real copy (slower, same result).
      rmSync(join(project, "node_modules"), { recursive: true, force: true });
      execFileSync("cp", ["-a", join(ROOT, "node_modules"), join(project, "node_modules")]);
    }
    const parts = ["dist", "proto", "migrations", "package.json", "packages/devnet/package.json", "packages/devnet/dist"];
    for (const part of parts) cpSync(join(ROOT, part), join(project, part), { recursive: true });
  }, 120_000);
  afterAll(() => {
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it("`gate402 demo` (npm run demo) starts embedded Postgres, plays the agent flow and exits 0", async () => {
    const r = await run(project, ["demo"], env());
    expect(r.stderr).not.toMatch(/EACCES|\n\s+at /);
    expect(r.stdout).toContain("Postgres embedded");
    expect(r.stdout).toContain("demo finished: every step behaved as expected");
    expect(r.code).toBe(0);
  }, 180_000);

  it("`gate402 dev` with its data inside the private folder: one line naming the folder and the fix, exit 1", async () => {
    const r = await run(
      project,
      ["dev"],
      env({ GATEWAY_DATA_DIR: join(project, ".data"), GATEWAY_DEVNET_PORT: "0", GATEWAY_GRPC_PORT: "0", GATEWAY_HTTP_PORT: "0" }),
    );
    expect(r.code).toBe(1);
    const lines = r.stderr
      .trimEnd()
      .split("\n")
      .filter((l) => !l.startsWith("{")); // pino warnings are JSON
    expect(lines).toEqual([
      expect.stringMatching(
        new RegExp(`^gate402: embedded Postgres runs as user "\\w+" .*cannot enter ${home} \\(mode 700\\); .*GATEWAY_DATA_DIR`),
      ),
    ]);
  }, 120_000);
});
