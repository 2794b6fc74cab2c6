/**
 * No charge when the upstream fails: real gRPC Check allows (prepaid debits and devnet-paid invoices),
 * then Envoy access log messages built with the upstream Envoy protos report 200, 503 and 404 for them.
 * Exactly the 5xx charges are reversed, once, however often and to however many replicas the entries
 * are delivered; the ledger still verifies; a charge older than the refund window stays charged.
 */
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGateway, type RunningGateway } from "../../src/app/gateway.js";
import { loadConfig } from "../../src/config/load.js";
import { verifyLedger } from "../../src/store/ledger-verify.js";
import { accessLogMessage, metadataOf, streamAccessLogs, tcpAccessLogMessage, type LoggedRequest } from "../support/access-log.js";
import { deniedBody, envoyCheck, httpStatus } from "../support/check-request.js";
import { checkClient, type ExtAuthzClient } from "../support/extauthz-client.js";
import { startStack, type Stack } from "../support/stack.js";
import { tcpProxy } from "../support/tcp-proxy.js";

const PRICE_MICRO = 250n;
const METERED = { price: "0.000250", route: "metered" };

let stack: Stack;
let replica: RunningGateway;
let client: ExtAuthzClient;

beforeAll(async () => {
  stack = await startStack({ env: { GATEWAY_WATCHER: "false" } });
  // A second replica on the same database, as behind a Kubernetes Service.
  replica = await startGateway(stack.gw.config, { log: pino({ level: "silent" }) });
  client = checkClient(`127.0.0.1:${stack.gw.grpcPort}`);
});
afterAll(async () => {
  client?.close();
  await replica?.stop(1000);
  await stack?.stop();
});

interface Account {
  clientId: string;
  clientKey: string;
  depositMemo: string;
  depositAddress: string;
}

async function api(path: string, init: RequestInit = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(`${stack.gw.httpUrl}${path}`, { ...init, headers: { "content-type": "application/json", ...init.headers } });
  return { status: res.status, body: await res.json() };
}

async function fundedAccount(amountMicro: bigint): Promise<Account> {
  const { body: a } = await api("/prepaid/accounts", { method: "POST", body: "{}" });
  const { txHash } = await stack.agent.send(a.depositAddress, amountMicro, a.depositMemo);
  expect((await api("/prepaid/deposit", { method: "POST", body: JSON.stringify({ clientId: a.clientId, txHash }) })).status).toBe(200);
  return a;
}

async function balanceMicro(a: Account): Promise<bigint> {
  const res = await stack.gw.store.getAccount(a.clientId);
  return res!.balanceMicro;
}

/** A prepaid allow; @returns its ext_authz dynamic metadata (decision_id, method, route). */
async function prepaidAllow(a: Account): Promise<Record<string, string>> {
  const res = await client.check(
    envoyCheck({ path: "/api/metered/q", contextExtensions: METERED, headers: { "x-client-id": a.clientId, "x-client-key": a.clientKey } }),
  );
  expect(httpStatus(res)).toBe(200);
  return metadataOf(res);
}

/** Pays a fresh invoice on the devnet and presents it; @returns the proof header and the allow's metadata. */
async function invoiceAllow(): Promise<{ proof: Record<string, string>; metadata: Record<string, string> }> {
  const unpaid = await client.check(envoyCheck({ path: "/api/metered/q", contextExtensions: METERED }));
  const inv = deniedBody(unpaid).payment;
  const { txHash } = await stack.agent.send(inv.address, BigInt(inv.amountMicro), inv.memo);
  const proof = { "x-payment-proof": `${inv.invoiceId}:${txHash}` };
  const res = await client.check(envoyCheck({ path: "/api/metered/q", contextExtensions: METERED, headers: proof }));
  expect(httpStatus(res)).toBe(200);
  return { proof, metadata: metadataOf(res) };
}

const retry = (proof: Record<string, string>) =>
  client.check(envoyCheck({ path: "/api/metered/q", contextExtensions: METERED, headers: proof }));

async function refundRows(): Promise<Array<{ decision_id: string; charge: string; amount_micro: string; status: number; reason: string }>> {
  const res = await stack.gw.store.pool.query(
    "SELECT decision_id, charge, amount_micro::text, status, reason FROM refunds ORDER BY decision_id",
  );
  return res.rows;
}

async function counter(gw: RunningGateway, name: string, labels: Record<string, string>): Promise<number> {
  const metric = await gw.metrics.registry.getSingleMetric(name)!.get();
  return metric.values.filter((v) => Object.entries(labels).every(([k, want]) => v.labels[k] === want)).reduce((s, v) => s + v.value, 0);
}

describe("refunds from Envoy's gRPC access log", () => {
  it("200, 503 and 404 after prepaid and invoice allows: only the 503s are refunded, once, on two replicas and a repeated delivery", async () => {
    const a = await fundedAccount(10n * PRICE_MICRO);
    const prepaid = { ok: await prepaidAllow(a), failed: await prepaidAllow(a), missing: await prepaidAllow(a) };
    expect(prepaid.failed).toMatchObject({ method: "prepaid", route: "metered" });
    expect(await balanceMicro(a)).toBe(7n * PRICE_MICRO);
    const invoice = { ok: await invoiceAllow(), failed: await invoiceAllow(), missing: await invoiceAllow() };
    expect(invoice.failed.metadata).toMatchObject({ method: "invoice", route: "metered" });

    const entries: LoggedRequest[] = [
      { metadata: prepaid.ok, status: 200 },
      { metadata: prepaid.failed, status: 503 },
      { metadata: prepaid.missing, status: 404 },
      { metadata: invoice.ok.metadata, status: 200 },
      { metadata: invoice.failed.metadata, status: 503 },
      { metadata: invoice.missing.metadata, status: 404 },
    ];
    const batch = accessLogMessage(entries);
    // The same entries twice on one stream (a resend), and at the same time to the other replica.
    await Promise.all([
      streamAccessLogs(stack.gw.grpcPort, [batch, tcpAccessLogMessage(), accessLogMessage(entries, false)]),
      streamAccessLogs(replica.grpcPort, [batch]),
    ]);

    const rows = await refundRows();
    expect(rows.map((r) => [r.decision_id, r.charge, r.amount_micro, r.status, r.reason]).sort()).toEqual(
      [
        [prepaid.failed.decision_id, "prepaid", "250", 503, "upstream_5xx"],
        [invoice.failed.metadata.decision_id, "invoice", "250", 503, "upstream_5xx"],
      ].sort(),
    );
    // Exactly one debit given back.
    expect(await balanceMicro(a)).toBe(8n * PRICE_MICRO);
    const ledger = await stack.gw.store.pool.query(
      "SELECT kind, amount_micro::text, ref FROM ledger_entries WHERE client_id = $1 AND kind = 'refund'",
      [a.clientId],
    );
    expect(ledger.rows).toEqual([{ kind: "refund", amount_micro: "250", ref: prepaid.failed.decision_id }]);
    expect(await verifyLedger(stack.gw.store)).toMatchObject({ ok: true });

    // The failed invoice pays again with the same proof, once; the served ones stay spent.
    expect(httpStatus(await retry(invoice.failed.proof))).toBe(200);
    const again = await retry(invoice.failed.proof);
    expect(deniedBody(again).error).toBe("PROOF_ALREADY_USED");
    for (const served of [invoice.ok, invoice.missing]) expect(deniedBody(await retry(served.proof)).error).toBe("PROOF_ALREADY_USED");

    // Counted once across both replicas, by route, method and reason.
    const refunded = async (method: string) =>
      (await counter(stack.gw, "gate402_refunds_total", { route: "metered", method, reason: "upstream_5xx" })) +
      (await counter(replica, "gate402_refunds_total", { route: "metered", method, reason: "upstream_5xx" }));
    expect(await refunded("prepaid")).toBe(1);
    expect(await refunded("invoice")).toBe(1);
    const duplicates =
      (await counter(stack.gw, "gate402_access_log_entries_total", { result: "duplicate" })) +
      (await counter(replica, "gate402_access_log_entries_total", { result: "duplicate" }));
    expect(duplicates).toBe(4);
  });

  it("a refunded invoice use that fails again is refunded again: every failure is its own decision", async () => {
    const { proof, metadata } = await invoiceAllow();
    await streamAccessLogs(stack.gw.grpcPort, [accessLogMessage([{ metadata, status: 502, flags: ["upstream_connection_failure"] }])]);
    const second = await retry(proof);
    expect(httpStatus(second)).toBe(200);
    await streamAccessLogs(replica.grpcPort, [
      accessLogMessage([{ metadata: metadataOf(second), status: 504, flags: ["upstream_request_timeout"] }]),
    ]);
    expect(httpStatus(await retry(proof))).toBe(200);
    expect(deniedBody(await retry(proof)).error).toBe("PROOF_ALREADY_USED");
    const res = await stack.gw.store.pool.query("SELECT uses, uses_left FROM redemptions WHERE invoice_id = $1", [
      proof["x-payment-proof"]!.split(":")[0],
    ]);
    expect(res.rows[0]).toEqual({ uses: 1, uses_left: 0 });
  });

  it("foreign and denied decisions, upstream attempt logs and unconfigured statuses change nothing", async () => {
    const a = await fundedAccount(4n * PRICE_MICRO);
    const charged = await prepaidAllow(a);
    const before = await refundRows();
    const denied = metadataOf(await client.check(envoyCheck({ path: "/api/metered/q", contextExtensions: METERED })));
    expect(denied.reason).toBe("PAYMENT_REQUIRED");
    await streamAccessLogs(stack.gw.grpcPort, [
      accessLogMessage([
        { metadata: { decision_id: "3f0c4d1e-0000-4000-8000-000000000000", method: "prepaid", route: "metered" }, status: 503 },
        { metadata: { decision_id: "opa-42" }, status: 500, namespace: "envoy.filters.http.opa" },
        { metadata: denied, status: 503 },
        // The router's per-attempt log: the retry that followed may have succeeded.
        { metadata: charged, status: 503, logType: "UpstreamEnd" },
        { metadata: charged, status: 429 },
      ]),
    ]);
    expect(await refundRows()).toEqual(before);
    expect(await balanceMicro(a)).toBe(3n * PRICE_MICRO);
  });

  it("a charge older than GATEWAY_REFUND_WINDOW is not refunded", async () => {
    const config = loadConfig({ ...envOf(stack.gw), GATEWAY_REFUND_WINDOW: "1" }, "production");
    const strict = await startGateway(config, { log: pino({ level: "silent" }) });
    try {
      const a = await fundedAccount(2n * PRICE_MICRO);
      const charged = await prepaidAllow(a);
      await new Promise((r) => setTimeout(r, 1500));
      await streamAccessLogs(strict.grpcPort, [accessLogMessage([{ metadata: charged, status: 503 }])]);
      expect(await counter(strict, "gate402_access_log_entries_total", { result: "expired" })).toBe(1);
      expect(await balanceMicro(a)).toBe(PRICE_MICRO);
      // The same entry within the default window is refunded: the age was the only reason.
      await streamAccessLogs(stack.gw.grpcPort, [accessLogMessage([{ metadata: charged, status: 503 }])]);
      expect(await balanceMicro(a)).toBe(2n * PRICE_MICRO);
    } finally {
      await strict.stop(1000);
    }
  });
});

describe("refunds during a database outage", () => {
  it("a refund the store could not write is retried and applied once the database is back", async () => {
    const url = new URL(stack.gw.databaseUrl);
    const proxy = await tcpProxy(url.hostname, Number(url.port || 5432));
    url.port = String(proxy.port);
    const flaky = await startGateway(loadConfig({ ...envOf(stack.gw), DATABASE_URL: url.toString() }, "production"), {
      log: pino({ level: "silent" }),
    });
    try {
      const a = await fundedAccount(2n * PRICE_MICRO);
      const charged = await prepaidAllow(a);
      proxy.cut();
      await streamAccessLogs(flaky.grpcPort, [accessLogMessage([{ metadata: charged, status: 503 }])]);
      expect(await counter(flaky, "gate402_access_log_entries_total", { result: "retrying" })).toBe(1);
      expect(await balanceMicro(a)).toBe(PRICE_MICRO);
      proxy.restore();
      for (let i = 0; i < 200 && (await balanceMicro(a)) === PRICE_MICRO; i++) await new Promise((r) => setTimeout(r, 100));
      expect(await balanceMicro(a)).toBe(2n * PRICE_MICRO);
      expect(await counter(flaky, "gate402_access_log_entries_total", { result: "refunded" })).toBe(1);
      expect(await counter(flaky, "gate402_access_log_entries_total", { result: "error" })).toBe(0);
    } finally {
      proxy.restore();
      await flaky.stop(1000);
      await proxy.close();
    }
  });
});

/** The environment that produced a running gateway's config (the settings this test needs). */
function envOf(gw: RunningGateway): Record<string, string> {
  const c = gw.config;
  return {
    GATEWAY_HOST: "127.0.0.1",
    GATEWAY_GRPC_PORT: "0",
    GATEWAY_HTTP_PORT: "0",
    GATEWAY_PAYMENT_ADDRESS: c.paymentAddress,
    GATEWAY_RPC: c.rpcUrls.join(","),
    GATEWAY_CHAIN_ID: c.chainId,
    GATEWAY_INVOICE_SECRET: c.invoiceSecret,
    JWT_SECRET: c.jwtSecret,
    DATABASE_URL: c.databaseUrl!,
    GATEWAY_WATCHER: "false",
    LOG_LEVEL: "silent",
  };
}
