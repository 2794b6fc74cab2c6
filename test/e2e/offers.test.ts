/**
 * Bundles and passes end to end: real Postgres, the devnet with real signed payments, gRPC Check.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startGateway, type RunningGateway } from "../../src/app/gateway.js";
import { loadConfig } from "../../src/config/load.js";
import { api, BOOTSTRAP_TOKEN, bootstrapAdmin } from "../manage/helpers.js";
import { checkClient, type ExtAuthzClient } from "../support/extauthz-client.js";
import {
  deniedBody,
  envoyCheck,
  headersToRemove,
  httpStatus,
  okHeaders,
  okResponseHeaders,
  type CheckInput,
} from "../support/check-request.js";
import { startStack, type Stack } from "../support/stack.js";
import { headerOf, paymentRequiredOf, signedPayload } from "../support/x402-payloads.js";
import { ExactCosmosScheme } from "../../src/x402/index.js";

const ROUTES = `routes:
  - id: search
    method: GET
    pattern: /api/search/*
    price: "0.001"
    bundles: "5=0.004"
    scope: api
    passes: [{ seconds: 3600, price: "0.05" }]
  - id: upload
    method: POST
    pattern: /api/search/*
    price: "0.002"
    scope: api
  - id: other
    pattern: /other/*
    price: "0.001"
    bundles: "5=0.004"
`;
/** Revocations reach every replica within this many ms (LISTEN/NOTIFY; README "Passes"). */
const REVOCATION_DELAY_MS = 2000;

let stack: Stack;
let client: ExtAuthzClient;
let replica: RunningGateway;
let replicaClient: ExtAuthzClient;
let dir: string;
let offsetMs = 0;
let admin = "";

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "gate402-offers-"));
  writeFileSync(join(dir, "routes.yaml"), ROUTES);
  const env = {
    GATEWAY_ROUTES_FILE: join(dir, "routes.yaml"),
    GATEWAY_ADMIN_BOOTSTRAP_TOKEN: BOOTSTRAP_TOKEN,
    GATEWAY_WATCHER: "false",
    GATEWAY_RPC_HEALTH_MS: "0",
    // 50 concurrent redemptions on a loaded 2-core machine: wait for a pool connection rather than 503.
    GATEWAY_DB_ACQUIRE_TIMEOUT_MS: "15000",
    // Background work off the Check path that would use the store's pool during the zero-query test.
    GATEWAY_X402_CONFIRMER_MS: "60000",
  };
  stack = await startStack({ env, start: { clock: () => Date.now() + offsetMs } });
  client = checkClient(`127.0.0.1:${stack.gw.grpcPort}`);
  // A second replica on the same database, with its own in-memory revocation list.
  const config = loadConfig(
    {
      GATEWAY_HOST: "127.0.0.1",
      GATEWAY_GRPC_PORT: "0",
      GATEWAY_HTTP_PORT: "0",
      GATEWAY_PAYMENT_ADDRESS: stack.payTo,
      GATEWAY_RPC: stack.devnet.rpcUrl,
      GATEWAY_CHAIN_ID: stack.devnet.chainId,
      GATEWAY_INVOICE_SECRET: "test-invoice-secret-0123456789abcdef0123456789",
      JWT_SECRET: "test-jwt-secret-0123456789abcdef0123456789abcd",
      DATABASE_URL: stack.db.url,
      LOG_LEVEL: "silent",
      ...env,
    },
    "production",
  );
  replica = await startGateway(config, { log: pino({ level: "silent" }) });
  replicaClient = checkClient(`127.0.0.1:${replica.grpcPort}`);
}, 60_000);
afterAll(async () => {
  client?.close();
  replicaClient?.close();
  await replica?.stop(500);
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

type Offer = { kind: string; invoiceId: string; amountMicro: string; uses?: number; seconds?: number; scope?: string; renewal?: boolean };

async function offerFor(kind: "bundle" | "pass", input: CheckInput = { path: "/api/search/q" }) {
  const res = await client.check(envoyCheck(input));
  expect(httpStatus(res)).toBe(402);
  const body = deniedBody(res);
  return (body.payment.offers as Offer[]).find((o) => o.kind === kind)!;
}

async function pay(o: Offer): Promise<string> {
  return (await stack.agent.send(stack.payTo, BigInt(o.amountMicro), o.invoiceId)).txHash;
}

describe("bundles", () => {
  it("a bundle of 5 paid once allows exactly 5 requests, counting down X-Payment-Uses-Left; the 6th is 402", async () => {
    const o = await offerFor("bundle");
    expect(o.uses).toBe(5);
    const txHash = await pay(o);
    const proof = { "x-payment-proof": `${o.invoiceId}:${txHash}` };
    const left: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await client.check(envoyCheck({ path: `/api/search/${i}`, headers: proof }));
      expect(httpStatus(res)).toBe(200);
      expect(headersToRemove(res)).toContain("x-payment-proof");
      left.push(okResponseHeaders(res)["x-payment-uses-left"]!);
    }
    expect(left).toEqual(["4", "3", "2", "1", "0"]);
    const sixth = await client.check(envoyCheck({ path: "/api/search/5", headers: proof }));
    expect(httpStatus(sixth)).toBe(402);
    expect(deniedBody(sixth).error).toBe("PROOF_ALREADY_USED");
    const row = await stack.gw.store.pool.query("SELECT uses, uses_left FROM redemptions WHERE invoice_id = $1", [o.invoiceId]);
    expect(row.rows).toEqual([{ uses: 5, uses_left: 0 }]);
  });

  it("50 concurrent requests with one bundle-of-5 proof: exactly 5 allowed, the rest PROOF_ALREADY_USED", async () => {
    const o = await offerFor("bundle");
    const txHash = await pay(o);
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        client.check(
          envoyCheck({
            path: "/api/search/c",
            headers: { "x-payment-proof": `${o.invoiceId}:${txHash}` },
            sourceAddress: `10.0.2.${i + 1}`,
          }),
        ),
      ),
    );
    const allowed = results.filter((r) => httpStatus(r) === 200);
    expect(allowed).toHaveLength(5);
    expect(allowed.map((r) => okResponseHeaders(r)["x-payment-uses-left"]).sort()).toEqual(["0", "1", "2", "3", "4"]);
    for (const r of results.filter((x) => httpStatus(x) !== 200)) expect(deniedBody(r).error).toBe("PROOF_ALREADY_USED");
  });

  it("a bundle proof is refused on another route and on another method", async () => {
    const o = await offerFor("bundle");
    const txHash = await pay(o);
    const proof = { "x-payment-proof": `${o.invoiceId}:${txHash}` };
    const otherRoute = await client.check(envoyCheck({ path: "/other/x", headers: proof }));
    expect(deniedBody(otherRoute).error).toBe("WRONG_RESOURCE");
    const otherMethod = await client.check(envoyCheck({ method: "POST", path: "/api/search/q", headers: proof }));
    expect(deniedBody(otherMethod).error).toBe("WRONG_RESOURCE");
    expect(httpStatus(await client.check(envoyCheck({ path: "/api/search/q", headers: proof })))).toBe(200);
  });
});

describe("passes", () => {
  let token = "";
  let jti = "";

  it("paying a pass invoice returns a pass token in X-Payment-Pass and PAYMENT-RESPONSE", async () => {
    const o = await offerFor("pass");
    expect(o).toMatchObject({ scope: "api", seconds: 3600, amountMicro: "50000" });
    const txHash = await pay(o);
    const res = await client.check(envoyCheck({ path: "/api/search/q", headers: { "x-payment-proof": `${o.invoiceId}:${txHash}` } }));
    expect(httpStatus(res)).toBe(200);
    token = okResponseHeaders(res)["x-payment-pass"]!;
    jti = o.invoiceId;
    const receipt = JSON.parse(Buffer.from(okResponseHeaders(res)["payment-response"]!, "base64").toString());
    expect(receipt).toMatchObject({ success: true, transaction: txHash, payer: stack.agent.address, pass: token });
    expect((await stack.gw.metrics.passesIssued.get()).values[0]?.value).toBe(1);
  });

  it("1,000 calls within its life are allowed with zero store queries and zero chain calls", async () => {
    const pool = stack.gw.store.pool;
    const queries = vi.spyOn(pool, "query");
    const connects = vi.spyOn(pool, "connect");
    const chain = stack.gw.chain.chain;
    // latestHeight is also polled in the background (lastKnownHeight), so it is not counted here.
    const chainCalls = [vi.spyOn(chain, "getTx"), vi.spyOn(chain, "searchByRecipient"), vi.spyOn(chain, "blockTime")];
    try {
      for (let batch = 0; batch < 10; batch++) {
        const results = await Promise.all(
          Array.from({ length: 100 }, (_, i) =>
            client.check(
              envoyCheck({
                method: i % 2 ? "GET" : "POST",
                path: `/api/search/${i}`,
                headers: i % 3 ? { "x-payment-pass": token } : { authorization: `Bearer ${token}` },
              }),
            ),
          ),
        );
        for (const r of results) {
          expect(httpStatus(r)).toBe(200);
          expect(okHeaders(r)).toMatchObject({ "x-gate402-paid-by": "pass", "x-gate402-payer": stack.agent.address });
        }
      }
      expect(queries).not.toHaveBeenCalled();
      expect(connects).not.toHaveBeenCalled();
      for (const c of chainCalls) expect(c).not.toHaveBeenCalled();
    } finally {
      vi.restoreAllMocks();
    }
    const checks = (await stack.gw.metrics.checks.get()).values.filter((v) => v.labels.outcome === "allow" && v.labels.method === "pass");
    expect(checks.reduce((n, v) => n + v.value, 0)).toBe(1000);
    const valid = (await stack.gw.metrics.passChecks.get()).values.find((v) => v.labels.result === "valid");
    expect(valid?.value).toBe(1000);
  });

  it("a token for the scope is refused on a route outside it; an altered token is refused", async () => {
    const other = await client.check(envoyCheck({ path: "/other/x", headers: { "x-payment-pass": token } }));
    expect(deniedBody(other).error).toBe("WRONG_RESOURCE");
    const [h, p, s] = token.split(".");
    const claims = JSON.parse(Buffer.from(p!, "base64url").toString());
    const altered = [h, Buffer.from(JSON.stringify({ ...claims, scope: "other" })).toString("base64url"), s].join(".");
    const res = await client.check(envoyCheck({ path: "/other/x", headers: { "x-payment-pass": altered } }));
    expect(httpStatus(res)).toBe(400);
    expect(deniedBody(res).error).toBe("INVALID_PROOF");
  });

  it("the other replica accepts the pass (shared keys), and refuses it within the stated delay after a revocation", async () => {
    const ask = () => replicaClient.check(envoyCheck({ path: "/api/search/r", headers: { "x-payment-pass": token } }));
    expect(httpStatus(await ask())).toBe(200);
    admin = await bootstrapAdmin(stack);
    const started = Date.now();
    const revoked = await api(stack, "/manage/passes/revoke", { method: "POST", token: admin, body: { jti, reason: "test" } });
    expect(revoked.status).toBe(201);
    let res = await ask();
    while (httpStatus(res) === 200 && Date.now() - started < REVOCATION_DELAY_MS) {
      await new Promise((r) => setTimeout(r, 20));
      res = await ask();
    }
    expect(httpStatus(res)).toBe(402);
    expect(deniedBody(res).error).toBe("PASS_REVOKED");
    expect(Date.now() - started).toBeLessThan(REVOCATION_DELAY_MS);
    const again = await api(stack, "/manage/passes/revoke", { method: "POST", token: admin, body: { jti } });
    expect(again.status).toBe(200);
  });

  it("after expiry: 402 PASS_EXPIRED with the route's offers plus a renewal offer", async () => {
    const o = await offerFor("pass");
    const txHash = await pay(o);
    const bought = await client.check(envoyCheck({ path: "/api/search/q", headers: { "x-payment-proof": `${o.invoiceId}:${txHash}` } }));
    const fresh = okResponseHeaders(bought)["x-payment-pass"]!;
    expect(httpStatus(await client.check(envoyCheck({ path: "/api/search/q", headers: { "x-payment-pass": fresh } })))).toBe(200);
    offsetMs = 3600_000;
    try {
      const res = await client.check(envoyCheck({ path: "/api/search/q", headers: { "x-payment-pass": fresh } }));
      expect(httpStatus(res)).toBe(402);
      const body = deniedBody(res);
      expect(body.error).toBe("PASS_EXPIRED");
      expect((body.payment.offers as Offer[]).map((x) => [x.kind, x.renewal ?? false])).toEqual([
        ["bundle", false],
        ["pass", true],
      ]);
      expect(body.accepts).toHaveLength(3);
    } finally {
      offsetMs = 0;
    }
  });
});

describe("x402 signed-transaction payloads buy offers too", () => {
  it("a signed payment of the pass offer returns the pass; of the bundle offer, its uses left", async () => {
    const signer = await DirectSecp256k1HdWallet.fromMnemonic(stack.devnet.wallets[5]!.mnemonic, { prefix: "neutaro" });
    // The scheme remembers the sequence of its last, maybe not yet included, payment (default window).
    const scheme = new ExactCosmosScheme({ signer, rpc: stack.devnet.rpcUrl, gasPrice: "0.025uneutaro" });
    try {
      const url = `${stack.gw.httpUrl}/ext-authz/api/search/signed`;
      const pr = await paymentRequiredOf(url);
      const pass = pr.accepts.find((a) => (a.extra as { offer?: string }).offer === "pass")!;
      const bought = await fetch(url, { headers: { "payment-signature": headerOf(await signedPayload(scheme, pr, pass, pass)) } });
      expect(bought.status).toBe(200);
      const token = bought.headers.get("x-payment-pass")!;
      expect(JSON.parse(Buffer.from(bought.headers.get("payment-response")!, "base64").toString())).toMatchObject({
        success: true,
        pass: token,
      });
      expect((await fetch(url, { headers: { "x-payment-pass": token } })).status).toBe(200);
      const pr2 = await paymentRequiredOf(url);
      const bundle = pr2.accepts.find((a) => (a.extra as { offer?: string }).offer === "bundle")!;
      const first = await fetch(url, { headers: { "payment-signature": headerOf(await signedPayload(scheme, pr2, bundle, bundle)) } });
      expect(first.status).toBe(200);
      expect(first.headers.get("x-payment-uses-left")).toBe("4");
      const again = await fetch(url, { headers: { "x-payment-proof": String((bundle.extra as { invoiceId: string }).invoiceId) } });
      expect(again.headers.get("x-payment-uses-left")).toBe("3");
    } finally {
      await scheme.disconnect();
    }
  });
});

describe("reports", () => {
  it("GET /manage/routes shows each route's bundles, scope and passes", async () => {
    const res = await api(stack, "/manage/routes", { token: admin });
    const search = (res.body.routes as Record<string, unknown>[]).find((r) => r["id"] === "search");
    expect(search).toMatchObject({
      scope: "api",
      bundles: [{ uses: 5, price: "0.004000", priceMicro: "4000" }],
      passes: [{ seconds: 3600, price: "0.050000", priceMicro: "50000" }],
    });
    expect((res.body.routes as Record<string, unknown>[]).find((r) => r["id"] === "upload")).toMatchObject({
      scope: "api",
      passes: [{ seconds: 3600 }],
    });
  });

  it("revenue by offer kind counts each bundle and pass payment once, and the metric agrees", async () => {
    const res = await api(stack, "/manage/revenue?groupBy=offer", { token: admin });
    expect(res.status).toBe(200);
    const groups = Object.fromEntries(
      (res.body.groups as { offer: string; invoicesMicro: string; invoicePayments: number }[]).map((g) => [g.offer, g]),
    );
    // 4 bundles (5 uses each at most) and 3 passes were bought above.
    expect(groups["bundle"]).toMatchObject({ invoicesMicro: "16000", invoicePayments: 4 });
    expect(groups["pass"]).toMatchObject({ invoicesMicro: "150000", invoicePayments: 3 });
    const metric = (await stack.gw.metrics.offerRevenue.get()).values;
    expect(metric.find((v) => v.labels.offer === "bundle")?.value).toBe(16000);
    expect(metric.find((v) => v.labels.offer === "pass")?.value).toBe(150000);
  });
});
