/**
 * Signed-payment settlements (SettlementStorePort) in Postgres. The reservation is one transaction of
 * conditional statements: raise the payer's unconfirmed value under the cap (conditional upsert), claim
 * the tx hash in spent_txs, insert the redemption, insert the settlement row. Any refusal rolls the
 * whole transaction back, so a refused payment leaves nothing behind and the cap holds for any number
 * of concurrent requests and replicas (the payer row serialises them).
 */
import type pg from "pg";
import type { PendingSettlement, ReserveInput, ReserveOutcome, SettlementOutcome, SettlementStorePort } from "../ports/settlement.js";
import { query, transaction } from "./pool.js";

type Client = pg.PoolClient;
type Refusal = Exclude<ReserveOutcome, { kind: "reserved" }>;

/** Raises the payer's unconfirmed value when allowed; the refusal otherwise. */
async function raiseExposure(c: Client, r: ReserveInput): Promise<Refusal | null> {
  const raised = await query(
    c,
    "reserve",
    `INSERT INTO x402_payers (payer, unconfirmed_micro) SELECT $1, $2::bigint WHERE $2::bigint <= $3::bigint
     ON CONFLICT (payer) DO UPDATE SET unconfirmed_micro = x402_payers.unconfirmed_micro + EXCLUDED.unconfirmed_micro
      WHERE x402_payers.blocked_at IS NULL AND x402_payers.unconfirmed_micro + EXCLUDED.unconfirmed_micro <= $3::bigint`,
    [r.payer, r.priceMicro.toString(), r.capMicro.toString()],
  );
  if (raised.rowCount === 1) return null;
  const row = (
    await query<{ unconfirmed_micro: string; blocked: boolean }>(
      c,
      "reserve",
      "SELECT unconfirmed_micro, blocked_at IS NOT NULL AS blocked FROM x402_payers WHERE payer = $1",
      [r.payer],
    )
  ).rows[0];
  if (row?.blocked) return { kind: "payer_blocked" };
  return { kind: "over_cap", unconfirmedMicro: BigInt(row?.unconfirmed_micro ?? "0") };
}

async function claim(c: Client, r: ReserveInput): Promise<Refusal | null> {
  const tx = await query(
    c,
    "reserve",
    "INSERT INTO spent_txs (tx_hash, purpose, invoice_id) VALUES ($1, 'invoice', $2) ON CONFLICT (tx_hash) DO NOTHING",
    [r.txHash, r.invoiceId],
  );
  if (tx.rowCount !== 1) return { kind: "replayed" };
  const red = await query(
    c,
    "reserve",
    `INSERT INTO redemptions (invoice_id, tx_hash, route_id, method, price_micro, paid_micro, payer, uses, uses_left)
     VALUES ($1, $2, $3, $4, $5::bigint, $6::bigint, $7, $8::int, $8::int - 1) ON CONFLICT DO NOTHING`,
    [r.invoiceId, r.txHash, r.routeId, r.method, r.priceMicro.toString(), r.paidMicro.toString(), r.payer, r.uses],
  );
  return red.rowCount === 1 ? null : { kind: "invoice_used" };
}

async function reserve(pool: pg.Pool, r: ReserveInput): Promise<ReserveOutcome> {
  if (!Number.isInteger(r.uses) || r.uses < 1) throw new RangeError(`uses must be an integer ≥ 1, got ${r.uses}`);
  return transaction<ReserveOutcome>(pool, "reserve", async (c) => {
    // Claim first: a replayed payload is refused without touching the payer row.
    const refused = (await claim(c, r)) ?? (r.optimistic ? await raiseExposure(c, r) : null);
    if (refused) return { commit: false, value: refused };
    await query(
      c,
      "reserve",
      `INSERT INTO x402_settlements (tx_hash, invoice_id, payer, exposure_micro, optimistic, expires_at)
       VALUES ($1, $2, $3, $4::bigint, $5, $6)`,
      [r.txHash, r.invoiceId, r.payer, r.optimistic ? r.priceMicro.toString() : "0", r.optimistic, r.expiresAt],
    );
    return { commit: true, value: { kind: "reserved", usesLeft: r.uses - 1 } };
  });
}

async function release(pool: pg.Pool, txHash: string): Promise<void> {
  await transaction(pool, "release", async (c) => {
    const gone = await query<{ payer: string; exposure_micro: string }>(
      c,
      "release",
      "DELETE FROM x402_settlements WHERE tx_hash = $1 AND status = 'pending' RETURNING payer, exposure_micro",
      [txHash],
    );
    const row = gone.rows[0];
    if (!row) return { commit: false, value: undefined };
    await query(c, "release", "UPDATE x402_payers SET unconfirmed_micro = unconfirmed_micro - $2::bigint WHERE payer = $1", [
      row.payer,
      row.exposure_micro,
    ]);
    await query(c, "release", "DELETE FROM redemptions WHERE tx_hash = $1", [txHash]);
    await query(c, "release", "DELETE FROM spent_txs WHERE tx_hash = $1 AND purpose = 'invoice'", [txHash]);
    return { commit: true, value: undefined };
  });
}

interface Row {
  tx_hash: string;
  payer: string;
  optimistic: boolean;
  expires_at: Date;
  exposure_micro: string;
}
const toPending = (r: Row): PendingSettlement => ({ txHash: r.tx_hash, payer: r.payer, optimistic: r.optimistic, expiresAt: r.expires_at });

async function finish(pool: pg.Pool, txHash: string, o: SettlementOutcome): Promise<PendingSettlement | null> {
  const code = o.kind === "failed" ? o.code : o.kind === "confirmed" ? 0 : null;
  const height = o.kind === "confirmed" ? o.height : null;
  return transaction(pool, "finish", async (c) => {
    const res = await query<Row>(
      c,
      "finish",
      `UPDATE x402_settlements SET status = $2, code = $3, height = $4, finished_at = now()
        WHERE tx_hash = $1 AND status = 'pending' RETURNING tx_hash, payer, optimistic, expires_at, exposure_micro`,
      [txHash, o.kind, code, height],
    );
    const row = res.rows[0];
    if (!row) return { commit: false, value: null };
    const failed = o.kind === "failed" && row.optimistic;
    await query(
      c,
      "finish",
      `UPDATE x402_payers SET unconfirmed_micro = unconfirmed_micro - $2::bigint,
         failed_count = failed_count + CASE WHEN $3 THEN 1 ELSE 0 END,
         blocked_at = CASE WHEN $3 THEN coalesce(blocked_at, now()) ELSE blocked_at END
       WHERE payer = $1`,
      [row.payer, row.exposure_micro, failed],
    );
    return { commit: true, value: toPending(row) };
  });
}

/** The Postgres SettlementStorePort over `pool` (migration 0005). Every method throws StoreUnavailableError on outage. */
export function pgSettlements(pool: pg.Pool): SettlementStorePort {
  return {
    reserve: (r) => reserve(pool, r),
    release: (h) => release(pool, h),
    finish: (h, o) => finish(pool, h, o),
    async listPending(limit) {
      const res = await query<Row>(
        pool,
        "listPending",
        `SELECT tx_hash, payer, optimistic, expires_at, exposure_micro FROM x402_settlements
          WHERE status = 'pending' ORDER BY created_at LIMIT $1`,
        [limit],
      );
      return res.rows.map(toPending);
    },
    async isSpent(txHash, invoiceId) {
      const res = await query(
        pool,
        "isSpent",
        "SELECT 1 FROM spent_txs WHERE tx_hash = $1 UNION ALL SELECT 1 FROM redemptions WHERE invoice_id = $2 LIMIT 1",
        [txHash, invoiceId],
      );
      return (res.rowCount ?? 0) > 0;
    },
    async payerState(payer) {
      const row = (
        await query<{ unconfirmed_micro: string; blocked: boolean }>(
          pool,
          "payerState",
          "SELECT unconfirmed_micro, blocked_at IS NOT NULL AS blocked FROM x402_payers WHERE payer = $1",
          [payer],
        )
      ).rows[0];
      return { unconfirmedMicro: BigInt(row?.unconfirmed_micro ?? "0"), blocked: row?.blocked ?? false };
    },
  };
}
