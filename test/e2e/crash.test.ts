/**
 * `kill -9` of a gate402 process (the compiled CLI, `gate402 serve`) while prepaid checks are being
 * group-committed, then a restart on the same database: no ledger entry lost or duplicated, every allow
 * a client saw is in the ledger, chains verify and balances add up.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDevnet, type Devnet } from "@gate402/devnet";
import { freePort } from "../../src/store/embedded.js";
import { verifyLedger } from "../../src/store/ledger-verify.js";
import { createPgStore, type PgStore } from "../../src/store/pg-store.js";
import { protoRoot } from "../../src/transport/envoy/protos.js";
import { checkClient } from "../support/extauthz-client.js";
import { envoyCheck, httpStatus, okHeaders } from "../support/check-request.js";
import { freshDatabase, type TestDatabase } from "../support/db.js";
import { fund, newAccount, type TestAccount } from "../store/helpers.js";

const ROOT = join(protoRoot(), "..");
const CLI = join(ROOT, "dist", "src", "cli.js");
const PRICE_MICRO = 1000n; // GATEWAY_DEFAULT_PRICE 0.001

let devnet: Devnet;
let db: TestDatabase;
let store: PgStore;
beforeAll(async () => {
  // CI builds first; a bare `npm test` builds here so the test kills the real compiled server.
  if (!existsSync(CLI)) execFileSync("npm", ["run", "build", "--silent"], { cwd: ROOT, stdio: "ignore" });
  devnet = await startDevnet({ blockTimeMs: 500 });
  db = await freshDatabase();
  store = createPgStore({ databaseUrl: db.url, statementTimeoutMs: 30_000, connectTimeoutMs: 30_000 });
}, 180_000);
afterAll(async () => {
  await store?.close();
  await devnet?.stop();
  await db?.drop();
});

/** Starts `gate402 serve` on fresh ports and waits until it answers /health. */
async function serve(): Promise<{ child: ChildProcess; grpc: string }> {
  const [grpcPort, httpPort] = [await freePort(), await freePort()];
  const child = spawn(process.execPath, [CLI, "serve"], {
    cwd: ROOT,
    stdio: ["ignore", "ignore", "pipe"],
    env: {
      PATH: process.env["PATH"],
      DATABASE_URL: db.url,
      GATEWAY_HOST: "127.0.0.1",
      GATEWAY_GRPC_PORT: String(grpcPort),
      GATEWAY_HTTP_PORT: String(httpPort),
      GATEWAY_PAYMENT_ADDRESS: devnet.wallets[0]!.address,
      GATEWAY_RPC: devnet.rpcUrl,
      GATEWAY_CHAIN_ID: devnet.chainId,
      GATEWAY_INVOICE_SECRET: "crash-test-invoice-secret-0123456789abcdef0123",
      JWT_SECRET: "crash-test-jwt-secret-0123456789abcdef0123456789",
      GATEWAY_WATCHER: "false",
      GATEWAY_CHECK_DEADLINE_MS: "5000",
      GATEWAY_DB_BATCH_WINDOW_MS: "2",
      LOG_LEVEL: "warn",
    },
  });
  let stderr = "";
  child.stderr!.on("data", (d) => (stderr += d));
  await expect
    .poll(
      async () => {
        if (child.exitCode !== null) throw new Error(`gate402 serve exited ${child.exitCode}: ${stderr}`);
        return fetch(`http://127.0.0.1:${httpPort}/health`).then(
          (r) => r.status,
          () => 0,
        );
      },
      { timeout: 60_000, interval: 200 },
    )
    .toBe(200);
  return { child, grpc: `127.0.0.1:${grpcPort}` };
}

/**
 * Keeps `concurrency` prepaid checks in flight until `stop()` resolves, over the accounts in turn.
 * @returns the decision ids of every allow the clients saw
 */
async function load(grpc: string, accounts: readonly TestAccount[], concurrency: number, stop: Promise<void>): Promise<string[]> {
  const client = checkClient(grpc);
  const allowed: string[] = [];
  let stopped = false;
  void stop.then(() => (stopped = true));
  let n = 0;
  const worker = async () => {
    while (!stopped) {
      const a = accounts[n++ % accounts.length]!;
      try {
        const res = await client.check(envoyCheck({ headers: { "x-client-id": a.clientId, "x-client-key": a.key } }));
        if (httpStatus(res) === 200) allowed.push(okHeaders(res)["x-gate402-decision-id"]!);
      } catch {
        // The server died mid-call: no answer, so no allow.
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  client.close();
  return allowed;
}

// Every charged call by decision id, whichever form the ledger recorded it in: the per-call detail of
// usage rollups (the default; open periods included) or a per-call `debit` entry.
const CALLS = "SELECT decision_id AS ref FROM usage_events UNION ALL SELECT ref FROM ledger_entries WHERE kind = 'debit'";

describe("kill -9 during batched commits", () => {
  it("after a restart on the same database, no charged call is lost or duplicated and every allow seen is in the ledger", async () => {
    const accounts: TestAccount[] = [];
    for (let i = 0; i < 5; i++) {
      const a = await newAccount(store);
      await fund(store, a.clientId, 1_000_000n * PRICE_MICRO);
      accounts.push(a);
    }
    const first = await serve();
    // Kill once debits are flowing, while batches are in flight.
    const killed = (async () => {
      await expect
        .poll(async () => (await store.pool.query(`SELECT count(*)::int AS n FROM (${CALLS}) c`)).rows[0].n, {
          timeout: 30_000,
          interval: 20,
        })
        .toBeGreaterThan(300);
      first.child.kill("SIGKILL");
    })();
    const seenBefore = await load(first.grpc, accounts, 40, killed);
    expect(first.child.signalCode ?? (await new Promise((r) => first.child.once("exit", (_c, s) => r(s))))).toBe("SIGKILL");

    const second = await serve();
    const seenAfter = await load(second.grpc, accounts, 20, new Promise((r) => setTimeout(r, 1500)));
    second.child.kill("SIGTERM");
    await new Promise((r) => second.child.once("exit", r));

    expect(seenBefore.length).toBeGreaterThan(0);
    expect(seenAfter.length).toBeGreaterThan(0);
    const entries = await store.pool.query<{ ref: string; n: number }>(`SELECT ref, count(*)::int AS n FROM (${CALLS}) c GROUP BY ref`);
    const inLedger = new Map(entries.rows.map((r) => [r.ref, r.n]));
    expect(entries.rows.filter((r) => r.n !== 1)).toEqual([]); // no decision debited twice
    const missing = [...seenBefore, ...seenAfter].filter((id) => !inLedger.has(id));
    expect(missing).toEqual([]); // no allow without its ledger entry
    expect(await verifyLedger(store)).toMatchObject({ ok: true, accounts: 5 });
    const sums = await store.pool.query<{ debits: number; balances: string }>(
      `SELECT (SELECT count(*)::int FROM (${CALLS}) c) AS debits,
              (SELECT sum(balance_micro)::text FROM prepaid_accounts) AS balances`,
    );
    const { debits, balances } = sums.rows[0]!;
    expect(BigInt(balances)).toBe(5n * 1_000_000n * PRICE_MICRO - BigInt(debits) * PRICE_MICRO);
  }, 180_000);
});
