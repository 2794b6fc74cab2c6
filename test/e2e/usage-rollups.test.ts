/**
 * Usage rollups (the default) through the real gateway: prepaid gRPC Check allows are recorded as a
 * `usage` rollup per period with per-call usage_events detail (no per-call `debit` entries); the
 * gateway's own sweep closes a period that ended; a 503 reported by Envoy's access log refunds exactly
 * that call, and the ledger verifies.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyLedger } from "../../src/store/ledger-verify.js";
import { accessLogMessage, metadataOf, streamAccessLogs } from "../support/access-log.js";
import { envoyCheck, httpStatus } from "../support/check-request.js";
import { checkClient, type ExtAuthzClient } from "../support/extauthz-client.js";
import { startStack, type Stack } from "../support/stack.js";

const PRICE_MICRO = 250n;
const METERED = { price: "0.000250", route: "metered" };

let stack: Stack;
let client: ExtAuthzClient;

beforeAll(async () => {
  // A short period, so the sweep (every second at the least) closes it during the test.
  stack = await startStack({ env: { GATEWAY_WATCHER: "false", GATEWAY_LEDGER_ROLLUP_MS: "300" } });
  client = checkClient(`127.0.0.1:${stack.gw.grpcPort}`);
});
afterAll(async () => {
  client?.close();
  await stack?.stop();
});

async function api(path: string, init: RequestInit = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(`${stack.gw.httpUrl}${path}`, { ...init, headers: { "content-type": "application/json", ...init.headers } });
  return { status: res.status, body: await res.json() };
}

async function expiredCount(): Promise<number> {
  const metric = await stack.gw.metrics.registry.getSingleMetric("gate402_access_log_entries_total")!.get();
  return metric.values.filter((v) => v.labels["result"] === "expired").reduce((s, v) => s + v.value, 0);
}

describe("usage rollups through the gateway", () => {
  it("prepaid allows become rollups with detail; a 503 refunds exactly that call; the ledger verifies", async () => {
    const { body: a } = await api("/prepaid/accounts", { method: "POST", body: "{}" });
    const { txHash } = await stack.agent.send(a.depositAddress, 100n * PRICE_MICRO, a.depositMemo);
    expect((await api("/prepaid/deposit", { method: "POST", body: JSON.stringify({ clientId: a.clientId, txHash }) })).status).toBe(200);

    const results = await Promise.all(
      Array.from({ length: 40 }, () =>
        client.check(
          envoyCheck({
            path: "/api/metered/q",
            contextExtensions: METERED,
            headers: { "x-client-id": a.clientId, "x-client-key": a.clientKey },
          }),
        ),
      ),
    );
    expect(results.map(httpStatus)).toEqual(Array(40).fill(200));
    const failed = metadataOf(results[17]!);

    const pool = stack.gw.store.pool;
    // No further call of this account: the gateway's sweep closes the ended period into the ledger.
    const kinds = async () =>
      (
        await pool.query<{ kind: string; calls: string | null }>(
          "SELECT kind, sum(call_count)::text AS calls FROM ledger_entries WHERE client_id = $1 GROUP BY kind ORDER BY kind",
          [a.clientId],
        )
      ).rows;
    await expect.poll(kinds, { timeout: 20_000, interval: 200 }).toEqual([
      { kind: "deposit", calls: null },
      { kind: "usage", calls: "40" },
    ]);
    const detail = await pool.query("SELECT route_id, amount_micro::text FROM usage_events WHERE decision_id = $1", [failed.decision_id]);
    expect(detail.rows).toEqual([{ route_id: "metered", amount_micro: "250" }]);

    await streamAccessLogs(stack.gw.grpcPort, [accessLogMessage([{ metadata: failed, status: 503 }])]);
    const refunds = await pool.query("SELECT decision_id, charge, amount_micro::text FROM refunds");
    expect(refunds.rows).toEqual([{ decision_id: failed.decision_id, charge: "prepaid", amount_micro: "250" }]);
    expect((await stack.gw.store.getAccount(a.clientId))!.balanceMicro).toBe(61n * PRICE_MICRO);
    expect(await verifyLedger(stack.gw.store)).toMatchObject({ ok: true });
  }, 120_000);

  it("a refund for a call whose detail retention dropped is answered expired (its request started before the window)", async () => {
    const { body: a } = await api("/prepaid/accounts", { method: "POST", body: "{}" });
    const { txHash } = await stack.agent.send(a.depositAddress, 10n * PRICE_MICRO, a.depositMemo);
    expect((await api("/prepaid/deposit", { method: "POST", body: JSON.stringify({ clientId: a.clientId, txHash }) })).status).toBe(200);
    const headers = { "x-client-id": a.clientId, "x-client-key": a.clientKey };
    const allowed = await client.check(envoyCheck({ path: "/api/metered/q", contextExtensions: METERED, headers }));
    expect(httpStatus(allowed)).toBe(200);
    const meta = metadataOf(allowed);
    // Retention dropped the call's detail (as maintenance does once the day is past GATEWAY_USAGE_RETENTION).
    await stack.gw.store.pool.query("DELETE FROM usage_events WHERE decision_id = $1", [meta.decision_id]);
    const before = await expiredCount();
    const eightDaysAgo = new Date(Date.now() - 8 * 86_400_000);
    await streamAccessLogs(stack.gw.grpcPort, [accessLogMessage([{ metadata: meta, status: 503, startedAt: eightDaysAgo }])]);
    expect(await expiredCount()).toBe(before + 1);
    const refunds = await stack.gw.store.pool.query("SELECT count(*)::int AS n FROM refunds WHERE decision_id = $1", [meta.decision_id]);
    expect(refunds.rows[0].n).toBe(0);
    expect((await stack.gw.store.getAccount(a.clientId))!.balanceMicro).toBe(9n * PRICE_MICRO);
  }, 120_000);
});
