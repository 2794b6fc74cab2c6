/**
 * The money path through the real gateway: a replay flood of one proof is answered from what the
 * store already knows (never 503), and a partition between gate402 and Postgres answers every Check
 * 503 within GATEWAY_CHECK_DEADLINE_MS and charges nothing once the link heals.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway, type RunningGateway } from "../../src/app/gateway.js";
import { loadConfig } from "../../src/config/load.js";
import { checkClient, type ExtAuthzClient } from "../support/extauthz-client.js";
import { deniedBody, deniedHeaders, envoyCheck, httpStatus } from "../support/check-request.js";
import { startStack, type Stack } from "../support/stack.js";
import { tcpProxy, type TcpProxy } from "../support/tcp-proxy.js";

/** A prepaid account created through the HTTP API and credited directly in the store. */
async function fundedAccount(gw: RunningGateway, amountMicro: bigint): Promise<{ clientId: string; clientKey: string }> {
  const acct = (await (await fetch(`${gw.httpUrl}/prepaid/accounts`, { method: "POST" })).json()) as {
    clientId: string;
    clientKey: string;
  };
  const txHash = randomBytes(32).toString("hex").toUpperCase();
  const out = await gw.store.creditDeposit({ clientId: acct.clientId, txHash, amountMicro, height: 1, sender: "neutaro1sender" });
  expect(out.kind).toBe("applied");
  return acct;
}

describe("a burst of 400 copies of one proof, default settings", () => {
  let stack: Stack;
  let client: ExtAuthzClient;
  beforeAll(async () => {
    stack = await startStack();
    client = checkClient(`127.0.0.1:${stack.gw.grpcPort}`);
  });
  afterAll(async () => {
    client?.close();
    await stack?.stop();
  });

  it("exactly one is allowed, every other copy is PROOF_ALREADY_USED, none is 503", async () => {
    const inv = deniedBody(await client.check(envoyCheck())).payment;
    const { txHash } = await stack.agent.send(inv.address, BigInt(inv.amountMicro), inv.memo);
    const proof = { "x-payment-proof": `${inv.invoiceId}:${txHash}` };
    // From 400 client IPs: the per-IP chain-lookup budget (429) is not what this measures.
    const results = await Promise.all(
      Array.from({ length: 400 }, (_, i) => client.check(envoyCheck({ headers: proof, sourceAddress: `10.1.${i >> 8}.${(i & 255) + 1}` }))),
    );
    const statuses = results.map(httpStatus);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 503)).toHaveLength(0);
    for (const r of results.filter((r) => httpStatus(r) !== 200)) expect(deniedBody(r).error).toBe("PROOF_ALREADY_USED");
    const rows = await stack.gw.store.pool.query("SELECT uses_left FROM redemptions WHERE invoice_id = $1", [inv.invoiceId]);
    expect(rows.rows).toEqual([{ uses_left: 0 }]);
  }, 60_000);
});

describe("partition between gate402 and Postgres", () => {
  const DEADLINE_MS = 800;
  let base: Stack;
  let gw: RunningGateway;
  let proxy: TcpProxy;
  let client: ExtAuthzClient;
  beforeAll(async () => {
    base = await startStack();
    const url = new URL(base.db.url);
    proxy = await tcpProxy(url.hostname, Number(url.port || 5432));
    url.port = String(proxy.port);
    await base.gw.stop(500);
    const config = loadConfig(
      {
        GATEWAY_HOST: "127.0.0.1",
        GATEWAY_GRPC_PORT: "0",
        GATEWAY_HTTP_PORT: "0",
        GATEWAY_PAYMENT_ADDRESS: base.payTo,
        GATEWAY_RPC: base.devnet.rpcUrl,
        GATEWAY_CHAIN_ID: base.devnet.chainId,
        DATABASE_URL: url.toString(),
        GATEWAY_INVOICE_SECRET: "x".repeat(40) + "-secret",
        JWT_SECRET: "y".repeat(40) + "-secret",
        GATEWAY_WATCHER: "false",
        GATEWAY_CHECK_DEADLINE_MS: String(DEADLINE_MS),
        GATEWAY_DB_POOL_MAX: "6",
      },
      "production",
    );
    gw = await startGateway(config, { log: pino({ level: "silent" }) });
    client = checkClient(`127.0.0.1:${gw.grpcPort}`);
  });
  afterAll(async () => {
    client?.close();
    await gw?.stop(500);
    await proxy?.close();
    await base?.devnet.stop();
    await base?.db.drop();
  });

  it("every prepaid and pay-per-request Check answers 503 within its deadline; after the link heals nothing was charged", async () => {
    const accts = await Promise.all([fundedAccount(gw, 100_000n), fundedAccount(gw, 100_000n)]);
    const inv = deniedBody(await client.check(envoyCheck())).payment;
    const { txHash } = await base.agent.send(inv.address, BigInt(inv.amountMicro), inv.memo);
    // Warm every pooled connection so the statements go out on established links.
    await Promise.all(Array.from({ length: 6 }, () => gw.store.pool.query("SELECT pg_sleep(0.05)")));
    // The first gateway is stopped; read the database directly, not through the proxy.
    const direct = new pg.Pool({ connectionString: base.db.url, max: 2 });
    const read = async () =>
      (
        await direct.query(`SELECT
        (SELECT count(*)::int FROM ledger_entries) AS entries,
        (SELECT count(*)::int FROM usage_events) AS calls,
        (SELECT sum(balance_micro)::text FROM prepaid_accounts) AS balances,
        (SELECT count(*)::int FROM redemptions) AS redemptions`)
      ).rows[0];
    try {
      const before = await read();
      proxy.stall();
      const checks = [
        ...Array.from({ length: 30 }, (_, i) => ({ "x-client-id": accts[i % 2]!.clientId, "x-client-key": accts[i % 2]!.clientKey })),
        ...Array.from({ length: 5 }, () => ({ "x-payment-proof": `${inv.invoiceId}:${txHash}` })),
      ];
      const answers = await Promise.all(
        checks.map(async (headers, i) => {
          const t0 = Date.now();
          const res = await client.check(envoyCheck({ headers, sourceAddress: `10.2.0.${i + 1}` }));
          return { res, ms: Date.now() - t0 };
        }),
      );
      for (const { res, ms } of answers) {
        expect(httpStatus(res)).toBe(503);
        expect(deniedBody(res).error).toBe("STORE_UNAVAILABLE");
        expect(deniedHeaders(res)["retry-after"]).toBeDefined();
        expect(ms).toBeLessThan(DEADLINE_MS + 700);
      }
      proxy.heal();
      // The held-back statements reach Postgres now; give them time to run (and refuse themselves).
      await new Promise((r) => setTimeout(r, 1500));
      await expect
        .poll(
          async () =>
            (
              await direct.query(
                `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()
            AND (query LIKE '%ledger_debit_batch%' OR query LIKE '%redeem_invoice%') AND state <> 'idle'`,
              )
            ).rows[0].n,
          { timeout: 20_000, interval: 100 },
        )
        .toBe(0);
      expect(await read()).toEqual(before);
      // Service is back: the same proof is redeemed now, once.
      const ok = await client.check(envoyCheck({ headers: { "x-payment-proof": `${inv.invoiceId}:${txHash}` } }));
      expect(httpStatus(ok)).toBe(200);
    } finally {
      await direct.end();
    }
  }, 60_000);
});
