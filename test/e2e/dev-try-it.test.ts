/**
 * What `gate402 dev` prints under "Try it" works as printed against the stack it started: each command
 * is run with sh, as a person would paste it, against a dev stack (devnet, Postgres, gateway).
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDevStack, type DevStack } from "../../src/cli/dev-stack.js";
import { tryItCommands, type TryItCommand } from "../../src/cli/try-it.js";
import { freshDatabase, type TestDatabase } from "../support/db.js";

const ROOT = resolve(import.meta.dirname, "..", "..");
const has = (program: string) => spawnSync("sh", ["-c", `command -v ${program}`]).status === 0;

let db: TestDatabase;
let stack: DevStack;
let commands: TryItCommand[];
beforeAll(async () => {
  // The agent command runs the compiled example agent.
  if (!existsSync(join(ROOT, "dist", "src", "client", "example-agent.js")))
    execFileSync("npm", ["run", "build", "--silent"], { cwd: ROOT, stdio: "ignore" });
  db = await freshDatabase();
  stack = await startDevStack({ ephemeral: true, env: { DATABASE_URL: db.url, LOG_LEVEL: "silent" }, defaultLogLevel: "silent" });
  commands = tryItCommands(
    {
      grpcPort: stack.gw.grpcPort,
      httpUrl: stack.gw.httpUrl,
      rpcUrl: stack.devnet.rpcUrl,
      chainId: stack.devnet.chainId,
      mnemonic: stack.devnet.wallets[1]!.mnemonic,
    },
    ROOT,
  );
}, 120_000);
afterAll(async () => {
  await stack?.stop();
  await db?.drop();
});

/** Runs the printed command matching `match` with sh (asynchronously: the stack lives in this process). */
async function run(match: RegExp): Promise<string> {
  const c = commands.find((x) => match.test(x.command));
  expect(c, `a printed command matching ${match}`).toBeDefined();
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((done) => {
    const child = spawn("sh", ["-c", c!.command], { cwd: ROOT, env: { PATH: process.env["PATH"], HOME: process.env["HOME"] } });
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), 90_000);
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => (clearTimeout(timer), done({ code, stdout, stderr })));
  });
  expect(code, `${c!.command}\n${stderr}`).toBe(0);
  return stdout;
}

describe("gate402 dev: the printed commands", () => {
  it("buf curl Check through server reflection → PaymentRequired with an invoice", async () => {
    const res = JSON.parse(await run(/ curl --protocol grpc /));
    expect(res.deniedResponse.status.code).toBe("PaymentRequired");
    expect(JSON.parse(res.deniedResponse.body)).toMatchObject({
      error: "PAYMENT_REQUIRED",
      payment: { address: stack.gw.config.paymentAddress },
    });
  });

  it.skipIf(!has("grpcurl"))("grpcurl Check (skipped when grpcurl is not installed) → PaymentRequired", async () => {
    expect(await run(/^grpcurl /)).toContain("PaymentRequired");
  });

  it("curl /auth/forward → 402 with PAYMENT-REQUIRED", async () => {
    const out = await run(/\/auth\/forward$/);
    expect(out).toMatch(/^HTTP\/1\.1 402 /);
    expect(out).toMatch(/^payment-required: /im);
  });

  it("curl /ext-authz/… → 402", async () => {
    expect(await run(/^curl -i \S+\/ext-authz\//)).toMatch(/^HTTP\/1\.1 402 /);
  });

  it("the example agent pays on the devnet and gets three 200s", async () => {
    const out = await run(/example-agent\.js$/);
    expect(out.match(/HTTP 200/g)).toHaveLength(3);
    expect(out).toContain("done: 3 paid calls, 3 receipts");
  }, 120_000);
});
