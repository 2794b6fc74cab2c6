/**
 * RPC faults (devnet fault injection): decisions stay within GATEWAY_CHAIN_TIMEOUT_MS, an outage is
 * 503 CHAIN_UNAVAILABLE (never 402), the watcher falls behind without losing payments, and everything
 * recovers without a restart once the fault clears.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FaultUpdate } from "@gate402/devnet";
import type { Invoice } from "../../src/core/invoices.js";
import { checkClient, type ExtAuthzClient } from "../support/extauthz-client.js";
import { deniedBody, envoyCheck, httpStatus } from "../support/check-request.js";
import { broadcastSpread, presign, startWatcherStack, waitUntil, type WatcherStack } from "./helpers.js";

const DEADLINE_MS = 500;
/**
 * The index-lag fault hides the newest INDEX_LAG_BLOCKS blocks (50 ms each): long enough in wall time
 * (2 s) that a loaded machine still asks before the payment shows, and inside the watcher's re-read
 * window, which is what lets it record payments the index showed late.
 */
const INDEX_LAG_BLOCKS = 40;
const REREAD_BLOCKS = INDEX_LAG_BLOCKS + 20;
/** Everything but broadcasting, so the test can still pay during a fault. */
const QUERY_METHODS = ["status", "tx", "tx_search", "block", "blockchain", "abci_query", "abci_info", "block_results"];

describe("chain faults", () => {
  let s: WatcherStack;
  let client: ExtAuthzClient;
  let tmpl: Invoice;
  let nonce = 0;

  beforeAll(async () => {
    s = await startWatcherStack({
      accounts: 2,
      env: {
        GATEWAY_CHAIN_TIMEOUT_MS: String(DEADLINE_MS),
        GATEWAY_WATCHER_TIMEOUT_MS: "1000",
        GATEWAY_WATCHER_REREAD_BLOCKS: String(REREAD_BLOCKS),
      },
    });
    client = checkClient(`127.0.0.1:${s.gw.grpcPort}`);
    tmpl = s.codec.verify(deniedBody(await client.check(envoyCheck())).payment.invoiceId)!;
  });
  afterAll(async () => {
    s?.devnet.faults.clear();
    client?.close();
    await s?.stop();
  });

  /** Issues `n` invoices and signs a payment for each (the sequence query needs a healthy chain). */
  async function signed(n: number, wallet = 1): Promise<{ invs: Invoice[]; txs: Uint8Array[] }> {
    const invs = Array.from({ length: n }, () => s.codec.issue({ ...tmpl, nonce: `f${++nonce}` }));
    return {
      invs,
      txs: await presign(
        s.devnet,
        s.query,
        wallet,
        s.payTo,
        invs.map((i) => ({ amountMicro: i.amountMicro, memo: i.id })),
      ),
    };
  }
  /** Broadcasts (broadcast_tx_sync is never faulted here) and waits for the block. */
  async function send(p: { invs: Invoice[]; txs: Uint8Array[] }): Promise<{ inv: Invoice; tx: string }[]> {
    const hashes = await broadcastSpread(s.devnet, s.query, [p.txs], 10);
    return p.invs.map((inv, i) => ({ inv, tx: hashes[i]! }));
  }
  const paid = async (n: number) => send(await signed(n));
  const timed = async (headers: Record<string, string>) => {
    const t0 = Date.now();
    const res = await client.check(envoyCheck({ headers }));
    return { status: httpStatus(res), error: httpStatus(res) === 200 ? undefined : deniedBody(res).error, ms: Date.now() - t0 };
  };
  const recorded = async (tx: string) => (await s.gw.store.pool.query("SELECT 1 FROM payments WHERE tx_hash = $1", [tx])).rowCount === 1;
  const lag = async () => (await s.gw.metrics.watcherLag.get()).values[0]?.value ?? 0;

  const outages: [string, FaultUpdate][] = [
    ["stall", { stallMs: 3_000 }],
    ["drop", { drop: true }],
    ["HTTP 500", { error: "http500" }],
    ["JSON-RPC error", { error: "rpc" }],
    ["garbage", { garbage: true }],
  ];
  for (const [name, fault] of outages) {
    it(`${name}: proofs answer 503 CHAIN_UNAVAILABLE within the deadline, and proofs and the watcher recover once it clears`, async () => {
      const [before] = await paid(1);
      const later = await signed(3);
      s.devnet.faults.set({ ...fault, methods: QUERY_METHODS });
      let during: { inv: Invoice; tx: string }[] = [];
      try {
        during = await send(later);
        const byHash = await timed({ "x-payment-proof": `${before!.inv.id}:${before!.tx}` });
        expect(byHash).toMatchObject({ status: 503, error: "CHAIN_UNAVAILABLE" });
        expect(byHash.ms).toBeLessThan(DEADLINE_MS + 400);
        const byInvoice = await timed({ "x-payment-proof": during[0]!.inv.id }); // not indexed: needs the chain
        expect(byInvoice).toMatchObject({ status: 503, error: "CHAIN_UNAVAILABLE" });
        expect(byInvoice.ms).toBeLessThan(DEADLINE_MS + 400);
        expect(await recorded(during[0]!.tx)).toBe(false);
      } finally {
        s.devnet.faults.clear();
      }
      expect((await timed({ "x-payment-proof": `${before!.inv.id}:${before!.tx}` })).status).toBe(200);
      await waitUntil(
        async () => (await Promise.all(during.map((d) => recorded(d.tx)))).every(Boolean),
        8_000,
        "payments made during the fault recorded",
      );
      for (const d of during) expect((await timed({ "x-payment-proof": d.inv.id })).status).toBe(200);
      await waitUntil(async () => (await lag()) <= 5, 5_000, "watcher lag back to a few blocks");
    });
  }

  it("index lag: a fresh payment is PAYMENT_PENDING (402 with the same invoice, not 503) until indexed, and the watcher still records every payment", async () => {
    s.devnet.faults.set({ indexLagBlocks: INDEX_LAG_BLOCKS });
    try {
      const batch = await paid(10);
      const fresh = await timed({ "x-payment-proof": batch[0]!.inv.id });
      expect(fresh).toMatchObject({ status: 402, error: "PAYMENT_PENDING" });
      // answered from what the index shows, not by waiting for the chain deadline (margin: loaded machine)
      expect(fresh.ms).toBeLessThan(DEADLINE_MS + 400);
      const more = [...(await paid(10)), ...(await paid(10))];
      await waitUntil(
        async () => (await Promise.all([...batch, ...more].map((d) => recorded(d.tx)))).every(Boolean),
        20_000,
        "every payment recorded despite the lagging index",
      );
      expect((await timed({ "x-payment-proof": batch[0]!.inv.id })).status).toBe(200);
    } finally {
      s.devnet.faults.clear();
    }
  });

  it("skipped heights: the watcher crosses the gap and proofs keep working", async () => {
    const h = s.devnet.height();
    s.devnet.faults.set({ skipHeights: 50 });
    await s.devnet.waitForHeight(h + 52, 5_000);
    const [p] = await paid(1);
    await waitUntil(() => recorded(p!.tx), 8_000, "payment after the gap recorded");
    expect((await timed({ "x-payment-proof": p!.inv.id })).status).toBe(200);
    const [q] = await paid(1);
    expect(await timed({ "x-payment-proof": `${q!.inv.id}:${q!.tx}` })).toMatchObject({ status: 200 });
  });
});
