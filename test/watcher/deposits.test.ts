/**
 * Deposits by memo: the watcher credits them without a call, POST /prepaid/deposit stays the fast path,
 * and whichever sees a deposit first — or both at once — the account is credited exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPrepaidAccount } from "../../src/core/accounts.js";
import type { StartedWatcher } from "../../src/watcher/index.js";
import { broadcastSpread, extraWatcher, presign, startWatcherStack, waitUntil, type WatcherStack } from "./helpers.js";

describe("deposits by memo", () => {
  let s: WatcherStack;
  let w: StartedWatcher | undefined;
  beforeAll(async () => {
    s = await startWatcherStack({ accounts: 3, env: { GATEWAY_WATCHER: "false" } });
  });
  afterAll(async () => {
    await w?.stop();
    await s?.stop();
  });

  const balance = async (clientId: string) => (await s.gw.store.getAccount(clientId))!.balanceMicro;
  const entries = async (clientId: string) =>
    (await s.gw.store.pool.query("SELECT count(*)::int AS n FROM ledger_entries WHERE client_id = $1 AND kind = 'deposit'", [clientId]))
      .rows[0].n as number;
  const status = async (txHash: string) =>
    (await s.gw.store.pool.query("SELECT status, client_id FROM payments WHERE tx_hash = $1", [txHash])).rows[0];
  const post = (clientId: string, txHash: string) =>
    fetch(`${s.gw.httpUrl}/prepaid/deposit`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ clientId, txHash }),
    });
  const deposit = async (memo: string, amounts: readonly bigint[], wallet = 1) =>
    broadcastSpread(
      s.devnet,
      s.query,
      [
        await presign(
          s.devnet,
          s.query,
          wallet,
          s.payTo,
          amounts.map((a) => ({ amountMicro: a, memo })),
        ),
      ],
      10,
    );

  it("the watcher credits a deposit by memo on its own, and a later POST replays without crediting again", async () => {
    const { account } = await createPrepaidAccount(s.gw.store);
    w = extraWatcher(s, "w1");
    const [tx] = await deposit(account.depositMemo, [250_000n]);
    await waitUntil(async () => (await status(tx!))?.status === "deposit", 10_000, "deposit recorded");
    expect(await status(tx!)).toEqual({ status: "deposit", client_id: account.clientId });
    expect(await balance(account.clientId)).toBe(250_000n);
    const res = await post(account.clientId, tx!);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ credited: false, amountMicro: "250000" });
    expect(await balance(account.clientId)).toBe(250_000n);
    expect(await entries(account.clientId)).toBe(1);
  });

  it("a deposit POSTed first is recorded by the watcher later without a second credit", async () => {
    await w?.stop();
    const { account } = await createPrepaidAccount(s.gw.store);
    const [tx] = await deposit(account.depositMemo, [400_000n]);
    const res = await post(account.clientId, tx!);
    expect(await res.json()).toMatchObject({ credited: true, balanceMicro: "400000" });
    w = extraWatcher(s, "w2");
    await waitUntil(async () => (await status(tx!)) !== undefined, 10_000, "deposit recorded");
    expect((await status(tx!)).status).toBe("deposit");
    expect(await balance(account.clientId)).toBe(400_000n);
    expect(await entries(account.clientId)).toBe(1);
  });

  it("the watcher and POST /prepaid/deposit racing on 20 deposits credit each exactly once", async () => {
    const { account } = await createPrepaidAccount(s.gw.store);
    const amounts = Array.from({ length: 20 }, (_, i) => BigInt(10_000 + i));
    const txs = await deposit(account.depositMemo, amounts, 2);
    // Fire every POST (twice, concurrently) while the watcher is indexing the same blocks.
    const answers = await Promise.all(
      [...txs, ...txs].map(async (tx) => {
        for (let i = 0; i < 100; i++) {
          const res = await post(account.clientId, tx);
          if (res.status === 200) return (await res.json()) as { credited: boolean };
          await new Promise((r) => setTimeout(r, 50));
        }
        throw new Error(`deposit ${tx} never accepted`);
      }),
    );
    await waitUntil(
      async () =>
        (await s.gw.store.pool.query("SELECT count(*)::int AS n FROM payments WHERE client_id = $1", [account.clientId])).rows[0].n === 20,
      10_000,
      "all 20 recorded",
    );
    const sum = amounts.reduce((a, b) => a + b, 0n);
    expect(await balance(account.clientId)).toBe(sum);
    expect(await entries(account.clientId)).toBe(20);
    // Who won each race varies; that every tx was credited by exactly one path does not.
    expect(answers.filter((a) => a.credited).length).toBeLessThanOrEqual(20);
    const claims = await s.gw.store.pool.query("SELECT count(*)::int AS n FROM spent_txs WHERE client_id = $1 AND purpose = 'deposit'", [
      account.clientId,
    ]);
    expect(claims.rows[0].n).toBe(20);
  });
});
