/**
 * The watcher's main promise: every payment to the address is recorded exactly once, while it runs and
 * after downtime, and every invoice is then redeemable by its id alone from the index.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Invoice } from "../../src/core/invoices.js";
import { checkClient, type ExtAuthzClient } from "../support/extauthz-client.js";
import { deniedBody, envoyCheck, httpStatus } from "../support/check-request.js";
import { broadcastSpread, extraWatcher, invoicesLike, presign, startWatcherStack, waitUntil, type WatcherStack } from "./helpers.js";

const PAYERS = 20;
const TOTAL = Number(process.env["WATCHER_TEST_PAYMENTS"] ?? 2000);
const PER_BLOCK = 10;

async function template(client: ExtAuthzClient, s: WatcherStack): Promise<Invoice> {
  const res = await client.check(envoyCheck());
  expect(httpStatus(res)).toBe(402);
  return s.codec.verify(deniedBody(res).payment.invoiceId)!;
}

/** Signs one payment per invoice, spread round-robin over the payer wallets 1..PAYERS. */
async function signAll(s: WatcherStack, invoices: readonly Invoice[]): Promise<Uint8Array[][]> {
  const per: Invoice[][] = Array.from({ length: PAYERS }, () => []);
  invoices.forEach((inv, i) => per[i % PAYERS]!.push(inv));
  return Promise.all(
    per.map((invs, w) =>
      presign(
        s.devnet,
        s.query,
        w + 1,
        s.payTo,
        invs.map((inv) => ({ amountMicro: inv.amountMicro, memo: inv.id })),
      ),
    ),
  );
}

async function counts(s: WatcherStack): Promise<{ rows: number; distinct: number; matched: number }> {
  const r = await s.gw.store.pool.query(
    "SELECT count(*)::int AS rows, count(DISTINCT tx_hash)::int AS distinct, count(*) FILTER (WHERE status = 'matched')::int AS matched FROM payments",
  );
  return r.rows[0];
}

/** Presents every invoice id alone (no tx hash), 16 at a time; returns the HTTP statuses. */
async function redeemAll(client: ExtAuthzClient, invoices: readonly Invoice[]): Promise<number[]> {
  const statuses: number[] = new Array(invoices.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < invoices.length) {
        const i = next++;
        statuses[i] = httpStatus(await client.check(envoyCheck({ headers: { "x-payment-proof": invoices[i]!.id } })));
      }
    }),
  );
  return statuses;
}

describe("payment watcher: no payment is lost", () => {
  let s: WatcherStack;
  let client: ExtAuthzClient;
  beforeAll(async () => {
    s = await startWatcherStack({ accounts: PAYERS + 1 });
    client = checkClient(`127.0.0.1:${s.gw.grpcPort}`);
  });
  afterAll(async () => {
    client?.close();
    await s?.stop();
  });

  it(`${TOTAL} payments over ~${TOTAL / PER_BLOCK} blocks while it runs are each recorded once and redeem by invoice id alone`, async () => {
    const invoices = invoicesLike(s.codec, await template(client, s), TOTAL, "live");
    const signed = await signAll(s, invoices);
    const hashes = await broadcastSpread(s.devnet, s.query, signed, PER_BLOCK);
    expect(new Set(hashes).size).toBe(TOTAL);
    await waitUntil(async () => (await counts(s)).rows >= TOTAL, 20_000, "every payment recorded");
    expect(await counts(s)).toEqual({ rows: TOTAL, distinct: TOTAL, matched: TOTAL });
    const recorded = await s.gw.store.pool.query("SELECT tx_hash, invoice_id FROM payments");
    expect(new Set(recorded.rows.map((r) => r.tx_hash))).toEqual(new Set(hashes));
    expect(new Set(recorded.rows.map((r) => r.invoice_id))).toEqual(new Set(invoices.map((i) => i.id)));
    // The chain's tx_search is now broken: invoice-only proofs must be answered from the index alone.
    s.devnet.faults.set({ error: "rpc", methods: ["tx_search"] });
    try {
      const statuses = await redeemAll(client, invoices);
      expect(statuses.filter((st) => st !== 200)).toEqual([]);
      expect(httpStatus(await client.check(envoyCheck({ headers: { "x-payment-proof": invoices[0]!.id } })))).toBe(402);
    } finally {
      s.devnet.faults.clear();
    }
  }, 240_000); // signing 2,000 txs dominates; generous for a loaded CI machine
});

describe("payment watcher: downtime", () => {
  let s: WatcherStack;
  let client: ExtAuthzClient;
  beforeAll(async () => {
    s = await startWatcherStack({ accounts: PAYERS + 1, env: { GATEWAY_WATCHER: "false" } });
    client = checkClient(`127.0.0.1:${s.gw.grpcPort}`);
  });
  afterAll(async () => {
    client?.close();
    await s?.stop();
  });

  it("payments made while the watcher was stopped for 100 blocks are all recorded once after a restart from its cursor", async () => {
    const tmpl = await template(client, s);
    const first = extraWatcher(s, "first");
    const warm = invoicesLike(s.codec, tmpl, PER_BLOCK * 5, "warm");
    await broadcastSpread(s.devnet, s.query, await signAll(s, warm), PER_BLOCK);
    await waitUntil(async () => (await counts(s)).rows >= warm.length, 10_000, "warm-up payments recorded");
    await first.stop();
    const cursor = Number((await s.gw.store.pool.query("SELECT height FROM watcher_cursors")).rows[0].height);

    const n = PER_BLOCK * 100;
    const invoices = invoicesLike(s.codec, tmpl, n, "down");
    const signed = await signAll(s, invoices);
    const h0 = s.devnet.height();
    const hashes = await broadcastSpread(s.devnet, s.query, signed, PER_BLOCK);
    expect(s.devnet.height() - h0).toBeGreaterThanOrEqual(100);
    expect((await counts(s)).rows).toBe(warm.length);

    const started = Date.now();
    const second = extraWatcher(s, "second");
    try {
      await waitUntil(async () => (await counts(s)).rows >= warm.length + n, 30_000, "catch-up");
      const seconds = (Date.now() - started) / 1000;
      // The figure docs/watcher.md and the report quote (catch-up rate).
      process.stdout.write(
        `watcher catch-up: ${n} payments over ${s.devnet.height() - cursor} blocks in ${seconds.toFixed(2)} s = ${(n / seconds).toFixed(0)} payments/s\n`,
      );
    } finally {
      await second.stop();
    }
    expect(await counts(s)).toEqual({ rows: warm.length + n, distinct: warm.length + n, matched: warm.length + n });
    const mine = await s.gw.store.pool.query("SELECT count(*)::int AS n FROM payments WHERE tx_hash = ANY($1::text[])", [hashes]);
    expect(mine.rows[0].n).toBe(n);
    expect(Number((await s.gw.store.pool.query("SELECT height FROM watcher_cursors")).rows[0].height)).toBeGreaterThan(cursor + 100);
    s.devnet.faults.set({ error: "rpc", methods: ["tx_search"] });
    try {
      expect((await redeemAll(client, invoices)).filter((st) => st !== 200)).toEqual([]);
    } finally {
      s.devnet.faults.clear();
    }
  }, 240_000); // signing 2,000 txs dominates; generous for a loaded CI machine
});
