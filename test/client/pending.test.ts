import { afterEach, describe, expect, it } from "vitest";
import { createPaidFetch, memoryStore, PaymentRejectedError, type SpendingPolicy } from "../../src/client/index.js";
import { address, fakeServer, gate402Answer, spyPayer, v2Offer, type FakeServer } from "./helpers.js";

const trusted = address();
const policy: SpendingPolicy = { maxPerRequest: "0.010", allowedPayTo: [trusted], allowedHosts: ["127.0.0.1"] };
let server: FakeServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A gateway that answers the proof `pendingFor` times with 402 `code` + Retry-After, then 200. */
async function pendingServer(pendingFor: number, code = "PAYMENT_PENDING") {
  const answer = gate402Answer(v2Offer({ payTo: trusted }));
  let presented = 0;
  server = await fakeServer((req, res) => {
    const proof = req.headers["payment-signature"] ?? req.headers["x-payment-proof"];
    if (!proof) {
      res.writeHead(402, answer.headers);
      return void res.end(JSON.stringify(answer.body));
    }
    if (presented++ < pendingFor) {
      res.writeHead(402, { ...answer.headers, "retry-after": "1" });
      return void res.end(JSON.stringify({ ...answer.body, error: code }));
    }
    res.writeHead(200, { "content-type": "application/json" });
    res.end("{}");
  });
  return server;
}

describe("SDK: a pending payment is presented again after Retry-After, never paid again", () => {
  it.each(["PAYMENT_PENDING", "AWAITING_CONFIRMATION"])(
    "%s twice, then 200: one payment, three presentations ≥ 1 s apart",
    async (code) => {
      const s = await pendingServer(2, code);
      const payer = spyPayer();
      const paidFetch = createPaidFetch({ payer, policy, store: memoryStore() });
      const started = Date.now();
      const res = await paidFetch(`${s.url}/api/data`);
      expect(res.status).toBe(200);
      expect(payer.calls).toHaveLength(1);
      const proofs = s.requests.map((r) => r.headers["payment-signature"] ?? r.headers["x-payment-proof"]).filter(Boolean);
      expect(proofs).toHaveLength(3);
      expect(new Set(proofs).size).toBe(1);
      expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
      expect((await paidFetch.exportReceipts())[0]!.status).toBe("redeemed");
    },
    30_000,
  );

  it("still pending after the bounded retries: PaymentRejectedError, the proof kept unredeemed for the next call, no second payment", async () => {
    const s = await pendingServer(100);
    const payer = spyPayer();
    const paidFetch = createPaidFetch({ payer, policy, store: memoryStore() });
    await expect(paidFetch(`${s.url}/api/data`)).rejects.toBeInstanceOf(PaymentRejectedError);
    expect(payer.calls).toHaveLength(1);
    expect((await paidFetch.exportReceipts())[0]!.status).toBe("unredeemed");
  }, 30_000);
});
