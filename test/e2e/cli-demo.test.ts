/**
 * The README's quick start, as a test: `gate402 demo` on embedded defaults (no DATABASE_URL: embedded
 * Postgres, the devnet, generated secrets) plays the whole agent flow and exits 0.
 */
import { execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { protoRoot } from "../../src/transport/envoy/protos.js";

const ROOT = join(protoRoot(), "..");
const CLI = join(ROOT, "dist", "src", "cli.js");

function run(args: string[], env: Record<string, string | undefined>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    child.on("exit", (code) => resolve({ code, out }));
  });
}

describe("gate402 CLI", () => {
  beforeAll(() => {
    // CI builds first; a bare `npm test` builds here so the test runs the real compiled CLI.
    if (!existsSync(CLI)) execFileSync("npm", ["run", "build", "--silent"], { cwd: ROOT, stdio: "ignore" });
  }, 120_000);

  it("`gate402 demo` on embedded defaults pays, is refused on replay, runs prepaid dry and exits 0", async () => {
    const env = { ...process.env, DATABASE_URL: undefined, TEST_DATABASE_URL: undefined, GATEWAY_DATA_DIR: undefined, LOG_LEVEL: "warn" };
    const { code, out } = await run(["demo"], env);
    expect(out).toContain("Postgres embedded");
    expect(out).toMatch(/X-Payment-Proof → 200 allowed/);
    expect(out).toMatch(/replays the same proof → PaymentRequired PROOF_ALREADY_USED/);
    expect(out).toMatch(/7\.4 agent: .* INSUFFICIENT_BALANCE/);
    expect(out).toContain("demo finished");
    expect(code).toBe(0);
  }, 180_000);

  it("`gate402 serve` without a payment address or secrets refuses to start and says why", async () => {
    const env = { PATH: process.env["PATH"], HOME: process.env["HOME"] };
    const { code, out } = await run(["serve"], env);
    expect(code).toBe(1);
    expect(out).toContain("GATEWAY_PAYMENT_ADDRESS is required");
    expect(out).toContain("GATEWAY_INVOICE_SECRET is missing");
    expect(out).toContain("JWT_SECRET is missing");
  });

  it("an unknown command is one line and exit 2", async () => {
    const { code, out } = await run(["frobnicate"], { PATH: process.env["PATH"] });
    expect(code).toBe(2);
    expect(out).toBe("gate402: unknown command 'frobnicate' (see gate402 --help)\n");
  });
});
