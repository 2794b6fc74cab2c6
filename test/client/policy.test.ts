import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  compilePolicy,
  createPaidFetch,
  fileStore,
  memoryStore,
  PaymentNotSentError,
  PolicyConfigError,
  type ApprovalRequest,
  type PolicyStore,
  type SpendingPolicy,
} from "../../src/client/index.js";
import { address, fakeServer, gate402Answer, payOnce, spyPayer, v2Offer, type FakeServer, type Handler } from "./helpers.js";

let server: FakeServer | undefined;
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "gate402-policy-"));
});
afterEach(async () => {
  await server?.close();
  server = undefined;
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const payTo = address();
/** Every request without a proof gets a fresh 402 for `amount`; with a proof, 200. */
const gate =
  (amount = "1000"): Handler =>
  (req, res) =>
    payOnce(gate402Answer(v2Offer({ payTo, amount })))(req, res);
const policy = (o: Partial<SpendingPolicy> = {}): SpendingPolicy => ({ maxPerRequest: "0.01", allowedPayTo: [payTo], ...o });

describe("spending policy", () => {
  it("config amounts accept decimal NTMPI strings and bigint uneutaro; all problems are reported together", () => {
    expect(compilePolicy({ maxPerRequest: "0.5", maxPerHour: 2_000_000n, maxPerDay: "3" })).toMatchObject({
      maxPerRequestMicro: 500_000n,
      maxPerHourMicro: 2_000_000n,
      maxPerDayMicro: 3_000_000n,
    });
    const err = (() => {
      try {
        compilePolicy({ maxPerRequest: "0.0000001", maxPerHour: "-1", maxPerDay: "1e3", allowedPayTo: [] });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(PolicyConfigError);
    expect((err as PolicyConfigError).problems).toHaveLength(4);
  });

  it("the hourly window is rolling: the cap frees up 60 minutes after a payment, the daily one after 24 hours", async () => {
    server = await fakeServer(gate());
    let now = Date.parse("2026-01-01T00:00:00Z");
    const payer = spyPayer();
    const paidFetch = createPaidFetch({
      payer,
      policy: policy({ maxPerHour: "0.002", maxPerDay: "0.003" }),
      store: memoryStore(),
      now: () => now,
    });
    const call = () => paidFetch(`${server!.url}/x`, { idempotencyKey: String(Math.random()) });
    await call();
    now += 30 * 60_000;
    await call();
    await expect(call()).rejects.toMatchObject({ code: "HOURLY_CAP" });
    now += 30 * 60_000 + 1; // the first payment left the hour
    await call();
    now += 60 * 60_000;
    await expect(call()).rejects.toMatchObject({ code: "DAILY_CAP" });
    now += 22 * 60 * 60_000; // 24 h after the first payment
    await call();
    expect(payer.calls).toHaveLength(4);
  });

  it("the approver is asked only above approveAbove, with the payment's details; a refusal releases the budget", async () => {
    server = await fakeServer((req, res) => gate(req.url === "/big" ? "5000" : "1000")(req, res));
    const asked: ApprovalRequest[] = [];
    let answer = false;
    const payer = spyPayer();
    const paidFetch = createPaidFetch({
      payer,
      store: memoryStore(),
      policy: policy({ maxPerDay: "0.006", approveAbove: "0.001", approve: async (r) => (asked.push(r), answer) }),
    });
    await paidFetch(`${server.url}/small`);
    expect(asked).toHaveLength(0);
    await expect(paidFetch(`${server.url}/big`)).rejects.toMatchObject({ code: "DENIED_BY_APPROVER" });
    expect(asked[0]).toMatchObject({
      kind: "invoice",
      method: "GET",
      url: `${server.url}/big`,
      payTo,
      amountMicro: 5000n,
      denom: "uneutaro",
    });
    answer = true;
    expect((await paidFetch(`${server.url}/big`)).status).toBe(200); // the refused 5000 was released: 1000 + 5000 fits 6000
    await expect(paidFetch(`${server.url}/small`, { idempotencyKey: "2" })).rejects.toMatchObject({ code: "DAILY_CAP" });
    expect(payer.calls.map((c) => c.amountMicro)).toEqual([1000n, 5000n]);
  });

  it("a payment that certainly did not leave releases its reservation; an uncertain failure keeps it counted", async () => {
    server = await fakeServer(gate());
    let mode: "not-sent" | "unknown" = "not-sent";
    const payer = spyPayer(async () => {
      throw mode === "not-sent" ? new PaymentNotSentError("CheckTx rejected") : new Error("timeout waiting for inclusion");
    });
    const paidFetch = createPaidFetch({ payer, policy: policy({ maxPerHour: "0.001" }), store: memoryStore() });
    await expect(paidFetch(`${server.url}/a`)).rejects.toBeInstanceOf(PaymentNotSentError);
    await expect(paidFetch(`${server.url}/a`)).rejects.toBeInstanceOf(PaymentNotSentError); // budget was released
    mode = "unknown";
    await expect(paidFetch(`${server.url}/a`)).rejects.toThrow("timeout");
    await expect(paidFetch(`${server.url}/a`)).rejects.toMatchObject({ code: "HOURLY_CAP" }); // maybe sent: still held
    expect(payer.calls).toHaveLength(3);
  });

  it("20 concurrent calls against a cap of 5 reach the payer exactly 5 times", async () => {
    server = await fakeServer(gate());
    const payer = spyPayer(async () => {
      await new Promise((r) => setTimeout(r, 20));
      return { txHash: "A".repeat(63) + String(Math.floor(Math.random() * 10)) };
    });
    const paidFetch = createPaidFetch({ payer, policy: policy({ maxPerHour: "0.005" }), store: memoryStore() });
    const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => paidFetch(`${server!.url}/c?i=${i}`)));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(5);
    expect(payer.calls).toHaveLength(5);
  });

  it("a 503 on the retry keeps the proof: the next call for the same request presents it instead of paying", async () => {
    let outage = true;
    server = await fakeServer((req, res) => {
      if ((req.headers["x-payment-proof"] || req.headers["payment-signature"]) && outage) {
        res.writeHead(503, { "content-type": "application/json", "retry-after": "1" });
        res.end(JSON.stringify({ error: "CHAIN_UNAVAILABLE" }));
        return;
      }
      gate()(req, res);
    });
    const payer = spyPayer();
    const paidFetch = createPaidFetch({ payer, policy: policy(), store: memoryStore() });
    expect((await paidFetch(`${server.url}/r`, { method: "PUT", body: "b" })).status).toBe(503);
    outage = false;
    expect((await paidFetch(`${server.url}/r`, { method: "PUT", body: "b" })).status).toBe(200);
    expect(payer.calls).toHaveLength(1);
    expect((await paidFetch.exportReceipts()).map((r) => r.status)).toEqual(["redeemed"]);
    expect(server.requests.at(-1)).toMatchObject({ method: "PUT", body: "b" });
  });
});

describe("file store", () => {
  it("budget and receipts survive a restart; writes leave no temp files behind", async () => {
    server = await fakeServer(gate());
    const path = join(dir, "nested", "state.json");
    const payer = spyPayer();
    await createPaidFetch({ payer, policy: policy({ maxPerDay: "0.002" }), store: fileStore(path) })(`${server.url}/1`);
    const again = createPaidFetch({ payer, policy: policy({ maxPerDay: "0.002" }), store: fileStore(path) });
    await again(`${server.url}/2`);
    await expect(again(`${server.url}/3`)).rejects.toMatchObject({ code: "DAILY_CAP" });
    const restarted = createPaidFetch({ payer, policy: policy({ maxPerDay: "0.002" }), store: fileStore(path) });
    await expect(restarted(`${server.url}/4`)).rejects.toMatchObject({ code: "DAILY_CAP" });
    expect((await restarted.exportReceipts()).map((r) => r.url)).toEqual([`${server.url}/1`, `${server.url}/2`]);
    expect(await readdir(join(dir, "nested"))).toEqual(["state.json"]);
    expect(JSON.parse(await readFile(path, "utf8"))).toMatchObject({ version: 1 });
  });

  it("a corrupt state file stops payments instead of resetting the budget", async () => {
    server = await fakeServer(gate());
    const path = join(dir, "corrupt.json");
    await writeFile(path, '{"version":1,"spends":"oops"');
    const payer = spyPayer();
    await expect(createPaidFetch({ payer, policy: policy(), store: fileStore(path) })(`${server.url}/x`)).rejects.toThrow();
    expect(payer.calls).toHaveLength(0);
  });

  it("a store that cannot persist the reservation stops the payment", async () => {
    server = await fakeServer(gate());
    const broken: PolicyStore = { load: async () => null, save: async () => Promise.reject(new Error("disk full")) };
    const payer = spyPayer();
    await expect(createPaidFetch({ payer, policy: policy(), store: broken })(`${server.url}/x`)).rejects.toThrow("disk full");
    expect(payer.calls).toHaveLength(0);
  });
});
