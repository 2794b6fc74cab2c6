/** Bench fixtures: a fresh database, processes on free ports, and pre-encoded CheckRequests. */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import pg from "pg";
import { createPrepaidAccount } from "../src/core/accounts.js";
import { freePort } from "../src/store/embedded.js";
import { migrate } from "../src/store/migrate.js";
import { createPgStore } from "../src/store/pg-store.js";
import { loadExtAuthzPackage } from "../src/transport/envoy/protos.js";
import type { LoadResult, LoadSpec } from "./loadgen.js";

/** Creates database gate402_bench_<ts> on the server of `baseUrl`, migrated. */
export async function benchDatabase(baseUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `gate402_bench_${Date.now()}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  await migrate(url.toString());
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: baseUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** Starts `node <script> …args` and resolves with the first stdout line (e.g. a port). */
export function spawnNode(
  script: string,
  args: string[],
  env: Record<string, string> = {},
  nodeArgs: string[] = [],
): { child: ChildProcess; firstLine: Promise<string> } {
  const child = spawn(process.execPath, [...nodeArgs, script, ...args], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const firstLine = new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once("line", resolve);
    child.once("exit", (code) => reject(new Error(`${script} exited with ${code}`)));
  });
  firstLine.catch(() => {}); // a process that exits after its first line is not an error here
  return { child, firstLine };
}

/** Waits until GET url answers 200. */
export async function waitHttp(url: string, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      /* not up yet */
    }
    if (Date.now() > until) throw new Error(`${url} did not come up`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Encodes CheckRequest objects (proto-loader shape) to base64 wire bytes with our proto. */
export function encodeChecks(requests: object[]): string[] {
  const pkg = grpc.loadPackageDefinition(loadExtAuthzPackage()) as any;
  const serialize = pkg.envoy.service.auth.v3.Authorization.service.Check.requestSerialize as (o: object) => Buffer;
  return requests.map((r) => serialize(r).toString("base64"));
}

/** Creates `n` prepaid accounts with `balanceMicro` each (deposits recorded under synthetic tx hashes). */
export async function fundedAccounts(
  databaseUrl: string,
  n: number,
  balanceMicro: bigint,
): Promise<{ clientId: string; clientKey: string }[]> {
  const store = createPgStore({ databaseUrl, poolMax: 8 });
  const out: { clientId: string; clientKey: string }[] = [];
  for (let i = 0; i < n; i++) {
    const { account, clientKey } = await createPrepaidAccount(store);
    await store.creditDeposit({
      clientId: account.clientId,
      txHash: randomBytes(32).toString("hex").toUpperCase(),
      amountMicro: balanceMicro,
      height: 1,
      sender: "bench",
    });
    out.push({ clientId: account.clientId, clientKey });
  }
  await store.close();
  return out;
}

export { freePort };

/** A realistic Envoy CheckRequest (proto-loader JSON shape): GET `path` on api.example.com, plus `headers`. */
export function benchCheck(path: string, headers: Record<string, string> = {}): object {
  return {
    attributes: {
      source: { address: { socket_address: { address: "10.0.0.7", port_value: 51234 } } },
      request: {
        http: {
          id: "bench",
          method: "GET",
          path,
          host: "api.example.com",
          scheme: "https",
          headers: { ":authority": "api.example.com", ":method": "GET", ":path": path, "x-request-id": "bench", ...headers },
        },
      },
      context_extensions: {},
    },
  };
}

/** Runs bench/loadgen.js in a process of its own (it must not share the measuring process's event loop). */
export function runLoadgen(spec: LoadSpec): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(dirname(fileURLToPath(import.meta.url)), "loadgen.js")], {
      stdio: ["pipe", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.on("exit", (code) => (code === 0 ? resolve(JSON.parse(out) as LoadResult) : reject(new Error(`loadgen exited ${code}`))));
    child.stdin.end(JSON.stringify(spec));
  });
}
