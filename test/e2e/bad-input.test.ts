import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkClient, type ExtAuthzClient } from "../support/extauthz-client.js";
import { deniedBody, envoyCheck, httpStatus } from "../support/check-request.js";
import { startStack, type Stack } from "../support/stack.js";

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

const b64 = (s: string) => Buffer.from(s).toString("base64");

const MALFORMED: [string, Record<string, string>][] = [
  ["an empty X-Payment-Proof", { "x-payment-proof": "" }],
  ["a short garbage proof", { "x-payment-proof": "abc" }],
  ["a 63-hex tx hash", { "x-payment-proof": "A".repeat(63) }],
  ["an invoice id with a non-hex tx hash", { "x-payment-proof": `${"a".repeat(40)}.${"b".repeat(22)}:${"Z".repeat(64)}` }],
  ["SQL in the proof", { "x-payment-proof": "x' OR '1'='1'; DROP TABLE redemptions; --" }],
  ["a non-ASCII proof", { "x-payment-proof": `${"a".repeat(30)}é💸` }],
  ["PAYMENT-SIGNATURE that is not base64", { "payment-signature": "%%%not base64%%%" }],
  ["PAYMENT-SIGNATURE with invalid JSON", { "payment-signature": b64("{not json") }],
  ["PAYMENT-SIGNATURE with JSON null", { "payment-signature": b64("null") }],
  [
    "PAYMENT-SIGNATURE of x402 v1 shape",
    { "payment-signature": b64(JSON.stringify({ x402Version: 1, scheme: "exact", network: "x", payload: {} })) },
  ],
  [
    "PAYMENT-SIGNATURE with another network",
    {
      "payment-signature": b64(
        JSON.stringify({ x402Version: 2, accepted: { scheme: "exact", network: "eip155:8453" }, payload: { txHash: "A".repeat(64) } }),
      ),
    },
  ],
  [
    "PAYMENT-SIGNATURE with an unknown scheme",
    {
      "payment-signature": b64(
        JSON.stringify({
          x402Version: 2,
          accepted: { scheme: "upto", network: "cosmos:neutaro-devnet-1" },
          payload: { txHash: "A".repeat(64) },
        }),
      ),
    },
  ],
  [
    "X-PAYMENT with a bad tx hash",
    {
      "x-payment": b64(
        JSON.stringify({ x402Version: 1, scheme: "exact", network: "cosmos:neutaro-devnet-1", payload: { txHash: "0x12" } }),
      ),
    },
  ],
  ["X-PAYMENT with a deeply nested payload", { "x-payment": b64("[".repeat(5000) + "]".repeat(5000)) }],
];

describe("bad input never crashes and never charges", () => {
  for (const [what, headers] of MALFORMED) {
    it(`${what} → 400 INVALID_PROOF with an invoice`, async () => {
      const res = await client.check(envoyCheck({ headers }));
      expect(httpStatus(res)).toBe(400);
      const body = deniedBody(res);
      expect(body.error).toBe("INVALID_PROOF");
      expect(body.payment.invoiceId).toEqual(expect.any(String));
    });
  }

  it("an oversized proof (100 KB) is over the header limit: 400 INVALID_REQUEST without an invoice", async () => {
    const res = await client.check(envoyCheck({ headers: { "x-payment-proof": "A".repeat(100_000) } }));
    expect(httpStatus(res)).toBe(400);
    expect(deniedBody(res).error).toBe("INVALID_REQUEST");
    expect(deniedBody(res).payment).toBeUndefined();
  });

  it("a proof just over its own 8 KiB limit (but within the header limit) is 400 INVALID_PROOF with an invoice", async () => {
    const res = await client.check(envoyCheck({ headers: { "x-payment-proof": "A".repeat(8193) } }));
    expect(httpStatus(res)).toBe(400);
    expect(deniedBody(res).error).toBe("INVALID_PROOF");
    expect(deniedBody(res).payment.invoiceId).toEqual(expect.any(String));
  });

  it("a malformed client id or a missing key is 401, not a crash", async () => {
    const cases: Record<string, string>[] = [
      { "x-client-id": "../../etc/passwd", "x-client-key": "k_" + "a".repeat(43) },
      { "x-client-id": "c_ok" },
      { "x-client-id": "c_ok", "x-client-key": "short" },
    ];
    for (const headers of cases) {
      const res = await client.check(envoyCheck({ headers }));
      expect(httpStatus(res)).toBe(401);
      expect(deniedBody(res).error).toBe("INVALID_CLIENT_CREDENTIALS");
    }
  });

  it("a CheckRequest without attributes.request.http is a 400 deny, and the server keeps serving", async () => {
    const res = await client.check({ attributes: { context_extensions: {} } });
    expect(httpStatus(res)).toBe(400);
    expect(httpStatus(await client.check(envoyCheck()))).toBe(402);
    expect(await client.health()).toBe("SERVING");
  });

  it("nothing was written to the database by any of it", async () => {
    const n = await stack.gw.store.pool.query("SELECT (SELECT count(*) FROM spent_txs) + (SELECT count(*) FROM ledger_entries) AS n");
    expect(Number(n.rows[0].n)).toBe(0);
  });
});
