/**
 * Late and odd payments are kept, not lost: each recorded with its status, listed by GET /invoices/:id,
 * and a late payment still buys one request within GATEWAY_LATE_GRACE.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Invoice } from "../../src/core/invoices.js";
import { checkClient, type ExtAuthzClient } from "../support/extauthz-client.js";
import { deniedBody, envoyCheck, httpStatus } from "../support/check-request.js";
import { broadcastSpread, presign, startWatcherStack, waitUntil, type WatcherStack } from "./helpers.js";

describe("payment statuses", () => {
  let s: WatcherStack;
  let client: ExtAuthzClient;
  let tmpl: Invoice;
  const hashes = new Map<string, string>();
  const inv: Record<string, Invoice> = {};
  const nowSec = () => Math.floor(Date.now() / 1000);

  beforeAll(async () => {
    s = await startWatcherStack({ accounts: 3 });
    client = checkClient(`127.0.0.1:${s.gw.grpcPort}`);
    tmpl = s.codec.verify(deniedBody(await client.check(envoyCheck())).payment.invoiceId)!;
    const mk = (nonce: string, over: Partial<Invoice> = {}) => (inv[nonce] = s.codec.issue({ ...tmpl, nonce, ...over }));
    const p = tmpl.amountMicro;
    const specs = [
      { key: "matched", amountMicro: p, memo: mk("matched").id },
      { key: "overpaid", amountMicro: p * 3n, memo: mk("overpaid").id },
      { key: "underpaid", amountMicro: p - 1n, memo: mk("underpaid").id },
      { key: "unmatched", amountMicro: 777n, memo: "thanks for the API" },
      { key: "forged", amountMicro: p, memo: `${mk("forged").id.split(".")[0]}.AAAAAAAAAAAAAAAAAAAAAA` },
      { key: "dup-1", amountMicro: p, memo: mk("dup").id },
      { key: "dup-2", amountMicro: p, memo: inv["dup"]!.id },
      { key: "late", amountMicro: p, memo: mk("late", { expiresAt: nowSec() - 60 }).id },
      { key: "late-lapsed", amountMicro: p, memo: mk("lapsed", { expiresAt: nowSec() - 7200 }).id },
    ];
    const signed = await presign(s.devnet, s.query, 1, s.payTo, specs);
    // dup-1 before dup-2 (same wallet, consecutive sequences; one block or two); dup-3 only after a
    // block that includes both, from another wallet (in a later pass or the same one: chain order decides).
    const sent = await broadcastSpread(s.devnet, s.query, [signed], 10);
    specs.forEach((sp, i) => hashes.set(sp.key, sent[i]!));
    const [dup3] = await broadcastSpread(
      s.devnet,
      s.query,
      [await presign(s.devnet, s.query, 2, s.payTo, [{ amountMicro: p, memo: inv["dup"]!.id }])],
      1,
    );
    hashes.set("dup-3", dup3!);
    await waitUntil(
      async () => (await s.gw.store.pool.query("SELECT count(*)::int AS n FROM payments")).rows[0].n >= specs.length + 1,
      10_000,
      "all recorded",
    );
  });
  afterAll(async () => {
    client?.close();
    await s?.stop();
  });

  const statusOf = async (key: string) =>
    (await s.gw.store.pool.query("SELECT status FROM payments WHERE tx_hash = $1", [hashes.get(key)])).rows[0]?.status;
  const present = async (i: Invoice) => client.check(envoyCheck({ headers: { "x-payment-proof": i.id } }));

  it("every payment is recorded with the status that says what it was", async () => {
    const got: Record<string, string> = {};
    for (const key of hashes.keys()) got[key] = await statusOf(key);
    expect(got).toEqual({
      matched: "matched",
      overpaid: "overpaid",
      underpaid: "underpaid",
      unmatched: "unmatched",
      forged: "unmatched",
      "dup-1": "matched",
      "dup-2": "duplicate",
      "dup-3": "duplicate",
      late: "late",
      "late-lapsed": "late",
    });
    const other = await s.gw.store.pool.query(
      "SELECT amount_micro::text AS a, expected_micro::text AS e FROM payments WHERE tx_hash = $1",
      [hashes.get("overpaid")],
    );
    expect(other.rows[0]).toEqual({ a: String(tmpl.amountMicro * 3n), e: String(tmpl.amountMicro) });
  });

  it("an overpaid invoice redeems by its id; an underpaid one is INSUFFICIENT_AMOUNT", async () => {
    expect(httpStatus(await present(inv["overpaid"]!))).toBe(200);
    const res = await present(inv["underpaid"]!);
    expect(httpStatus(res)).toBe(402);
    expect(deniedBody(res).error).toBe("INSUFFICIENT_AMOUNT");
  });

  it("a late payment presented within GATEWAY_LATE_GRACE redeems exactly one request; past the grace it is INVOICE_EXPIRED", async () => {
    expect(httpStatus(await present(inv["late"]!))).toBe(200);
    expect(deniedBody(await present(inv["late"]!)).error).toBe("PROOF_ALREADY_USED");
    const lapsed = await present(inv["lapsed"]!);
    expect(httpStatus(lapsed)).toBe(402);
    expect(deniedBody(lapsed).error).toBe("INVOICE_EXPIRED");
  });

  it("a duplicate payment never buys a second request, and GET /invoices/:id lists both payments with their statuses", async () => {
    // The premise, from the chain itself: dup-1 comes first in chain order, dup-3 in a later block.
    const order = await Promise.all(["dup-1", "dup-2", "dup-3"].map(async (k) => (await s.query.getTx(hashes.get(k)!))!.height));
    expect(order[0]).toBeLessThanOrEqual(order[1]!);
    expect(order[1]).toBeLessThan(order[2]!);
    expect(httpStatus(await present(inv["dup"]!))).toBe(200);
    expect(deniedBody(await present(inv["dup"]!)).error).toBe("PROOF_ALREADY_USED");
    const body = (await (await fetch(`${s.gw.httpUrl}/invoices/${inv["dup"]!.id}`)).json()) as {
      status: string;
      txHash: string;
      payments: { txHash: string; status: string; amountMicro: string }[];
    };
    expect(body.status).toBe("redeemed");
    expect(body.txHash).toBe(hashes.get("dup-1"));
    expect(body.payments.map((p) => [p.txHash, p.status])).toEqual([
      [hashes.get("dup-1"), "matched"],
      [hashes.get("dup-2"), "duplicate"],
      [hashes.get("dup-3"), "duplicate"],
    ]);
    const late = (await (await fetch(`${s.gw.httpUrl}/invoices/${inv["lapsed"]!.id}`)).json()) as {
      status: string;
      payments: { status: string }[];
    };
    expect(late).toMatchObject({ status: "expired", payments: [{ status: "late" }] });
  });
});
