import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkClient, type ExtAuthzClient } from "../support/extauthz-client.js";
import { deniedBody, deniedHeaders, envoyCheck, httpStatus } from "../support/check-request.js";
import { startStack, type Stack } from "../support/stack.js";
import { tcpProxy, type TcpProxy } from "../support/tcp-proxy.js";

describe("chain RPC down", () => {
  let stack: Stack;
  let client: ExtAuthzClient;
  const DEADLINE_MS = 600;
  beforeAll(async () => {
    stack = await startStack({ env: { GATEWAY_CHAIN_TIMEOUT_MS: String(DEADLINE_MS) } });
    client = checkClient(`127.0.0.1:${stack.gw.grpcPort}`);
  });
  afterAll(async () => {
    client?.close();
    await stack?.stop();
  });

  it("a proof answers 503 CHAIN_UNAVAILABLE (never 402) within the deadline when the RPC port is closed", async () => {
    const inv = deniedBody(await client.check(envoyCheck())).payment;
    const { txHash } = await stack.agent.send(inv.address, BigInt(inv.amountMicro), inv.memo);
    await stack.devnet.stop(); // the RPC port is now closed
    const started = Date.now();
    const res = await client.check(envoyCheck({ headers: { "x-payment-proof": `${inv.invoiceId}:${txHash}` } }));
    const took = Date.now() - started;
    expect(httpStatus(res)).toBe(503);
    expect(deniedBody(res)).toEqual({ error: "CHAIN_UNAVAILABLE", message: expect.any(String) });
    expect(deniedHeaders(res)["retry-after"]).toBeDefined();
    expect(took).toBeLessThan(DEADLINE_MS + 400);
    // Issuing invoices needs no chain call, so agents still learn the price.
    expect(httpStatus(await client.check(envoyCheck()))).toBe(402);
  });
});

describe("chain stalled (answers nothing)", () => {
  it("a proof answers 503 within GATEWAY_CHAIN_TIMEOUT_MS when the RPC accepts connections but never replies", async () => {
    const silent = createServer((sock) => sock.on("data", () => {})); // accepts, never answers
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    const { port } = silent.address() as { port: number };
    const stack = await startStack({ env: { GATEWAY_CHAIN_TIMEOUT_MS: "500", GATEWAY_RPC: `http://127.0.0.1:${port}` } });
    const client = checkClient(`127.0.0.1:${stack.gw.grpcPort}`);
    try {
      const started = Date.now();
      const res = await client.check(envoyCheck({ headers: { "x-payment-proof": "A".repeat(64) } }));
      expect(httpStatus(res)).toBe(503);
      expect(deniedBody(res).error).toBe("CHAIN_UNAVAILABLE");
      expect(Date.now() - started).toBeLessThan(900);
    } finally {
      client.close();
      await stack.stop();
      silent.close();
    }
  });
});

describe("Postgres unreachable", () => {
  let stack: Stack;
  let proxy: TcpProxy;
  let client: ExtAuthzClient;
  beforeAll(async () => {
    // The gateway reaches its database through a TCP proxy the test can cut, like a network partition.
    const base = await startStack();
    const url = new URL(base.db.url);
    proxy = await tcpProxy(url.hostname, Number(url.port || 5432));
    url.port = String(proxy.port);
    await base.gw.stop(500);
    const { startGateway } = await import("../../src/app/gateway.js");
    const { loadConfig } = await import("../../src/config/load.js");
    const pino = (await import("pino")).default;
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
      },
      "production",
    );
    const gw = await startGateway(config, { log: pino({ level: "silent" }) });
    stack = {
      ...base,
      gw,
      stop: async () => {
        await gw.stop(500);
        await base.devnet.stop();
        await base.db.drop();
      },
    };
    client = checkClient(`127.0.0.1:${gw.grpcPort}`);
  });
  afterAll(async () => {
    client?.close();
    await stack?.stop();
    await proxy?.close();
  });

  it("prepaid answers 503 STORE_UNAVAILABLE, 402 issuance still works, and service recovers when the database returns", async () => {
    const acct = await (await fetch(`${stack.gw.httpUrl}/prepaid/accounts`, { method: "POST" })).json();
    proxy.cut();
    const started = Date.now();
    const res = await client.check(envoyCheck({ headers: { "x-client-id": acct.clientId, "x-client-key": acct.clientKey } }));
    expect(httpStatus(res)).toBe(503);
    expect(deniedBody(res).error).toBe("STORE_UNAVAILABLE");
    expect(Date.now() - started).toBeLessThan(3000);
    expect(httpStatus(await client.check(envoyCheck()))).toBe(402);
    expect((await fetch(`${stack.gw.httpUrl}/readyz`)).status).toBe(503);
    proxy.restore();
    const back = await client.check(envoyCheck({ headers: { "x-client-id": acct.clientId, "x-client-key": acct.clientKey } }));
    expect(deniedBody(back).error).toBe("INSUFFICIENT_BALANCE");
  });
});
