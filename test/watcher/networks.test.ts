/**
 * Two networks: the primary Neutaro devnet and a second devnet chain with its own chain id, bech32
 * prefix and denom (GATEWAY_NETWORKS). Each network's watcher records the payments made on its own chain
 * (real @cosmjs signed transactions on both), invoices are recognised only on their own network,
 * deposits are credited only on the primary, and one chain down makes only that network unavailable.
 */
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import { GasPrice, SigningStargateClient } from "@cosmjs/stargate";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPrepaidAccount } from "../../src/core/accounts.js";
import { InvoiceCodec, type Invoice } from "../../src/core/invoices.js";
import { startDevnet, type Devnet } from "@gate402/devnet";
import { INVOICE_SECRET, startWatcherStack, waitUntil, type WatcherStack } from "./helpers.js";

const SECOND = { chainId: "Devnet-2", prefix: "cosmos", denom: "uatom" };
const NETWORK_2 = `cosmos:${SECOND.chainId}`;

describe("payments on two networks", () => {
  let s: WatcherStack;
  let b: Devnet;
  let codecB: InvoiceCodec;
  const clients: SigningStargateClient[] = [];
  let nonce = 0;

  beforeAll(async () => {
    b = await startDevnet({ ...SECOND, blockTimeMs: 50, accounts: 3 });
    const entry = { id: NETWORK_2, rpc: [b.rpcUrl], bech32Prefix: SECOND.prefix, payTo: b.wallets[0]!.address, denom: SECOND.denom };
    // Health polls fast, so a chain that goes down is noticed within a second.
    s = await startWatcherStack({ accounts: 3, env: { GATEWAY_NETWORKS: JSON.stringify([entry]), GATEWAY_CHAIN_TIMEOUT_MS: "400" } });
    // The gateway's codec issues the second network's asset as version-2 invoices (core/invoices.ts).
    const assetB = { chainId: SECOND.chainId, payTo: b.wallets[0]!.address, denom: SECOND.denom };
    codecB = new InvoiceCodec(INVOICE_SECRET, s.payTo, s.gw.config.denom, s.gw.config.chainId, [assetB]);
  });
  afterAll(async () => {
    for (const c of clients) c.disconnect();
    b?.faults.clear();
    await s?.stop();
    await b?.stop();
  });

  const invoice = (codec: InvoiceCodec, amountMicro: bigint): Invoice =>
    codec.issue({
      ...(codec === codecB && { asset: { network: NETWORK_2, denom: SECOND.denom } }),
      amountMicro,
      method: "GET",
      routeId: "default",
      expiresAt: Math.floor(Date.now() / 1000) + 600,
      issueHeight: 1,
      nonce: `n${++nonce}`,
      uses: 1,
    });
  /** Signs and broadcasts a MsgSend with @cosmjs from wallet `w` of `chain`, waiting for its inclusion. */
  async function pay(chain: Devnet, prefix: string, w: number, to: string, amountMicro: bigint, memo: string): Promise<string> {
    const wallet = await DirectSecp256k1HdWallet.fromMnemonic(chain.wallets[w]!.mnemonic, { prefix });
    const client = await SigningStargateClient.connectWithSigner(chain.rpcUrl, wallet, {
      gasPrice: GasPrice.fromString(`0.025${chain.denom}`),
      broadcastPollIntervalMs: 100,
    });
    clients.push(client);
    const fee = { amount: [{ denom: chain.denom, amount: "5000" }], gas: "200000" };
    const res = await client.sendTokens(chain.wallets[w]!.address, to, [{ denom: chain.denom, amount: amountMicro.toString() }], fee, memo);
    expect(res.code).toBe(0);
    return res.transactionHash.toUpperCase();
  }
  const row = async (tx: string) =>
    (
      await s.gw.store.pool.query(
        "SELECT recipient, denom, amount_micro::text AS amount, status, invoice_id, client_id FROM payments WHERE tx_hash = $1",
        [tx],
      )
    ).rows[0];
  const recorded = (tx: string) => waitUntil(async () => (await row(tx)) !== undefined, 15_000, `payment ${tx} recorded`);

  it("each network's watcher records the payments on its own chain, in that chain's denom", async () => {
    const invA = invoice(s.codec, 1_000n);
    const invB = invoice(codecB, 2_500n);
    const [txA, txB] = await Promise.all([
      pay(s.devnet, "neutaro", 1, s.payTo, 1_000n, invA.id),
      pay(b, SECOND.prefix, 1, b.wallets[0]!.address, 2_500n, invB.id),
    ]);
    await recorded(txA);
    await recorded(txB);
    expect(await row(txA)).toEqual({
      recipient: s.payTo,
      denom: "uneutaro",
      amount: "1000",
      status: "matched",
      invoice_id: invA.id,
      client_id: null,
    });
    expect(await row(txB)).toEqual({
      recipient: b.wallets[0]!.address,
      denom: "uatom",
      amount: "2500",
      status: "matched",
      invoice_id: invB.id,
      client_id: null,
    });
    // One lock session per network (lease keyed by network and address).
    // (this database only: other suites' watchers may share the server)
    const sessions = await s.gw.store.pool.query(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'gate402-watcher' AND datname = current_database()",
    );
    expect(sessions.rows[0].n).toBe(2);
    const cursors = await s.gw.store.pool.query("SELECT recipient FROM watcher_cursors ORDER BY recipient");
    expect(cursors.rows.map((r) => r.recipient).sort()).toEqual([b.wallets[0]!.address, s.payTo].sort());
  });

  it("a memo naming the primary's invoice paid on the second chain is unmatched there; deposits credit each network's asset", async () => {
    const invA = invoice(s.codec, 1_000n);
    const wrongChain = await pay(b, SECOND.prefix, 2, b.wallets[0]!.address, 1_000n, invA.id);
    const { account } = await createPrepaidAccount(s.gw.store);
    const depositB = await pay(b, SECOND.prefix, 2, b.wallets[0]!.address, 70_000n, account.depositMemo);
    const depositA = await pay(s.devnet, "neutaro", 2, s.payTo, 50_000n, account.depositMemo);
    for (const tx of [wrongChain, depositB, depositA]) await recorded(tx);
    expect(await row(wrongChain)).toMatchObject({ status: "unmatched", invoice_id: null, denom: "uatom" });
    // A balance per asset (migration 0012): the second chain's deposit credits its uatom, never the uneutaro balance.
    expect(await row(depositB)).toMatchObject({ status: "deposit", client_id: account.clientId, denom: "uatom", amount: "70000" });
    expect(await row(depositA)).toMatchObject({ status: "deposit", client_id: account.clientId, denom: "uneutaro" });
    expect(await s.gw.store.getAccount(account.clientId)).toMatchObject({
      balanceMicro: 50_000n,
      balances: [{ network: NETWORK_2, denom: "uatom", balanceMicro: 70_000n }],
    });
  });

  it("the second chain down: only its network is unavailable (health, metrics), the primary stays ready, and it recovers", async () => {
    const reg = s.gw.networks;
    expect(reg.all().map((n) => n.network.id)).toEqual([s.gw.config.network, NETWORK_2]);
    await waitUntil(() => reg.available(NETWORK_2) && reg.available(s.gw.config.network), 10_000, "both networks available");
    const invB = invoice(codecB, 3_000n);
    const duringFault = await pay(b, SECOND.prefix, 1, b.wallets[0]!.address, 3_000n, invB.id);
    b.faults.set({ drop: true });
    try {
      await waitUntil(() => !reg.available(NETWORK_2), 10_000, "second network unavailable");
      expect(reg.available(s.gw.config.network)).toBe(true);
      const health = (await (await fetch(`${s.gw.httpUrl}/health`)).json()) as {
        networks: { id: string; available: boolean; error?: string }[];
      };
      expect(health.networks.map((n) => [n.id, n.available])).toEqual([
        [s.gw.config.network, true],
        [NETWORK_2, false],
      ]);
      expect(health.networks[1]!.error).toMatch(/chain unavailable/);
      const ready = await fetch(`${s.gw.httpUrl}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ status: "ready", networks: [{ id: NETWORK_2, available: false }] });
      const up = (await s.gw.metrics.networkUp.get()).values;
      expect(Object.fromEntries(up.map((v) => [v.labels.network, v.value]))).toEqual({ [s.gw.config.network]: 1, [NETWORK_2]: 0 });
      // The primary's watcher keeps recording while the other chain is down.
      const invA = invoice(s.codec, 1_000n);
      const txA = await pay(s.devnet, "neutaro", 1, s.payTo, 1_000n, invA.id);
      await recorded(txA);
    } finally {
      b.faults.clear();
    }
    await waitUntil(() => reg.available(NETWORK_2), 10_000, "second network available again");
    // Its watcher catches up: the payment included during the outage is recorded.
    await recorded(duringFault);
    expect(await row(duringFault)).toMatchObject({ status: "matched", invoice_id: invB.id, denom: "uatom" });
  });
});
