/**
 * Prepaid deposits. One transaction: claim the tx hash in spent_txs (purpose deposit, this account),
 * then credit the balance of the deposit's asset (migration 0012) with a `deposit` ledger entry. The primary key on the tx hash makes
 * concurrent credits of one tx wait for each other: one is applied, the rest replay.
 */
import type pg from "pg";
import type { DepositInput, DepositOutcome } from "../ports/store.js";
import { applyMovement, storedAsset } from "./ledger.js";
import { transaction } from "./pool.js";

type Client = pg.PoolClient;

/** The refusal or replay when the tx is already claimed, or null after claiming it now. */
async function claimDeposit(c: Client, d: DepositInput): Promise<DepositOutcome | null> {
  const claimed = await c.query(
    `INSERT INTO spent_txs (tx_hash, purpose, client_id, height, sender) VALUES ($1, 'deposit', $2, $3::bigint, $4)
     ON CONFLICT (tx_hash) DO NOTHING`,
    [d.txHash, d.clientId, d.height, d.sender],
  );
  if (claimed.rowCount === 1) return null;
  // A new statement sees the claim committed by whoever won the insert race.
  const asset = storedAsset(d.asset);
  const res = await c.query<{ same: boolean; balance_micro: string | null }>(
    `SELECT s.purpose = 'deposit' AND s.client_id = $2 AS same,
            (CASE WHEN $3::text IS NULL OR a.client_id IS NULL THEN a.balance_micro
                  ELSE coalesce((SELECT b.balance_micro FROM prepaid_balances b
                                  WHERE b.client_id = $2 AND b.network = $3 AND b.denom = $4), 0) END)::text AS balance_micro
       FROM spent_txs s LEFT JOIN prepaid_accounts a ON a.client_id = $2
      WHERE s.tx_hash = $1`,
    [d.txHash, d.clientId, asset?.network ?? null, asset?.denom ?? null],
  );
  const row = res.rows[0];
  if (!row) throw new Error(`spent_txs claim for ${d.txHash} vanished`);
  if (!row.same || row.balance_micro === null) return { kind: "tx_used" };
  return { kind: "replayed", balanceMicro: BigInt(row.balance_micro) };
}

/**
 * Credits an on-chain deposit once; see StorePort.creditDeposit.
 * @throws RangeError when amountMicro ≤ 0; StoreUnavailableError
 */
export async function creditDeposit(pool: pg.Pool, d: DepositInput): Promise<DepositOutcome> {
  if (d.amountMicro <= 0n) throw new RangeError(`deposit amountMicro must be > 0, got ${d.amountMicro}`);
  return transaction(pool, "creditDeposit", async (c) => {
    const known = await c.query("SELECT 1 FROM prepaid_accounts WHERE client_id = $1", [d.clientId]);
    if (known.rowCount !== 1) return { commit: false, value: { kind: "unknown_account" } as DepositOutcome };
    const refused = await claimDeposit(c, d);
    if (refused) return { commit: false, value: refused };
    const moved = await applyMovement(c, {
      clientId: d.clientId,
      kind: "deposit",
      amountMicro: d.amountMicro,
      ref: d.txHash,
      routeId: null,
      method: null,
      txHash: d.txHash,
      asset: storedAsset(d.asset),
    });
    // The account was there a moment ago; accounts are never deleted, but fail safe: undo the claim.
    if (!moved) return { commit: false, value: { kind: "unknown_account" } as DepositOutcome };
    return { commit: true, value: { kind: "applied", balanceMicro: moved.balanceMicro } as DepositOutcome };
  });
}
