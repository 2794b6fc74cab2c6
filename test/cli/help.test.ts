/**
 * The compiled CLI as a user meets it: --help, -h, --version and `help <command>` exit 0 with usage and
 * the environment each command reads; unknown commands, unknown flags, bad flag values and extra
 * arguments give one line on stderr and exit 2; no command at all is a usage error too. Nothing here
 * starts a server: --help must win over the command's action.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..", "..");
const CLI = join(ROOT, "dist", "src", "cli.js");
const COMMANDS = ["serve", "dev", "devnet", "demo", "migrate", "verify-ledger", "maintain", "export-usage"] as const;

/** Env each command's help must name (what the command reads). */
const READS: Record<(typeof COMMANDS)[number], readonly string[]> = {
  serve: [
    "GATEWAY_PAYMENT_ADDRESS",
    "GATEWAY_INVOICE_SECRET",
    "JWT_SECRET",
    "DATABASE_URL",
    "GATEWAY_SHUTDOWN_GRACE_MS",
    "GATEWAY_RPC",
    "GATEWAY_ROUTES_FILE",
    "LOG_LEVEL",
  ],
  dev: ["GATEWAY_DEVNET_PORT", "GATEWAY_DEVNET_BLOCK_MS", "DATABASE_URL", "GATEWAY_DATA_DIR", "GATEWAY_ROUTES", "LOG_LEVEL"],
  devnet: [],
  demo: ["GATEWAY_DEVNET_BLOCK_MS", "DATABASE_URL", "GATEWAY_DATA_DIR", "LOG_LEVEL"],
  migrate: ["DATABASE_URL", "LOG_LEVEL"],
  "verify-ledger": ["DATABASE_URL"],
  maintain: ["DATABASE_URL", "GATEWAY_USAGE_RETENTION"],
  "export-usage": ["DATABASE_URL"],
};

function gate402(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  // A bare environment: nothing configured, so a command that wrongly started would fail loudly.
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    env: { PATH: process.env["PATH"] },
    encoding: "utf8",
    timeout: 30_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const noStack = (text: string) => expect(text).not.toMatch(/\n\s+at .+:\d+:\d+/);

beforeAll(() => {
  // CI builds first; a bare `npm test` builds here so the test runs the real compiled CLI.
  if (!existsSync(CLI)) execFileSync("npm", ["run", "build", "--silent"], { cwd: ROOT, stdio: "ignore" });
}, 120_000);

describe("gate402 --help / --version", () => {
  it.each(["--help", "-h", "help"])("`gate402 %s` lists every command and exits 0", (flag) => {
    const r = gate402(flag);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: gate402 /);
    for (const c of COMMANDS) expect(r.stdout).toMatch(new RegExp(`^  ${c}\\b`, "m"));
    expect(r.stderr).toBe("");
  });

  it.each(["--version", "-V"])("`gate402 %s` prints package.json's version and exits 0", (flag) => {
    const r = gate402(flag);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version);
  });

  it("no command prints usage on stderr and exits 2", () => {
    const r = gate402();
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^Usage: gate402 /);
  });
});

describe.each(COMMANDS)("gate402 %s", (command) => {
  it("--help, -h and `help <command>` print its usage and the environment it reads, exit 0, start nothing", () => {
    for (const args of [
      [command, "--help"],
      [command, "-h"],
      ["help", command],
    ]) {
      const r = gate402(...args);
      expect(r.code, args.join(" ")).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`^Usage: gate402 ${command} `));
      expect(r.stdout).toContain("Environment:");
      for (const name of READS[command]) expect(r.stdout).toMatch(new RegExp(`\\b${name}\\b`));
      expect(r.stderr).toBe("");
    }
  });

  it("an unknown flag is one line on stderr and exit 2", () => {
    const r = gate402(command, "--no-such-flag");
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr.trimEnd().split("\n")).toEqual([expect.stringMatching(/^gate402: unknown option '--no-such-flag'/)]);
  });

  it("an extra argument is one line on stderr and exit 2", () => {
    const r = gate402(command, "extra");
    expect(r.code).toBe(2);
    expect(r.stderr.trimEnd().split("\n")).toEqual([expect.stringMatching(/^gate402: too many arguments/)]);
  });
});

describe("usage errors and failures", () => {
  it("an unknown command is one line with a suggestion, exit 2", () => {
    const r = gate402("serv");
    expect(r.code).toBe(2);
    expect(r.stderr.trimEnd().split("\n")).toEqual(["gate402: unknown command 'serv' (Did you mean serve?) (see gate402 --help)"]);
  });

  it.each([
    [["devnet", "--port", "x"], /^gate402: option '--port <n>' argument 'x' is invalid\. must be a whole number/],
    [["devnet", "--error", "nope"], /^gate402: option '--error <kind>' argument 'nope' is invalid\. Allowed choices are http500, rpc/],
    [["devnet", "--port"], /^gate402: option '--port <n>' argument missing/],
  ])("devnet %j: one line, exit 2", (args, line) => {
    const r = gate402(...args);
    expect(r.code).toBe(2);
    expect(r.stderr.trimEnd().split("\n")).toEqual([expect.stringMatching(line)]);
  });

  it.each(["migrate", "verify-ledger"])("`gate402 %s` without DATABASE_URL says so, exit 1, no stack trace", (command) => {
    const r = gate402(command);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`DATABASE_URL (or DATABASE_URL_FILE) is required for gate402 ${command}`);
    noStack(r.stderr);
  });

  it("`gate402 migrate` against a database that does not answer: one line naming it, exit 1, no stack trace", () => {
    const r = spawnSync(process.execPath, [CLI, "migrate"], {
      cwd: ROOT,
      encoding: "utf8",
      timeout: 30_000,
      env: { PATH: process.env["PATH"], DATABASE_URL: "postgres://nobody@127.0.0.1:1/none", LOG_LEVEL: "silent" },
    });
    expect(r.status).toBe(1);
    expect(r.stderr.trimEnd().split("\n")).toEqual([expect.stringMatching(/^gate402: .*ECONNREFUSED/)]);
  });
});
