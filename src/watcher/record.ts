/**
 * The watcher's writes and reads, all on the session that holds the watcher lock (see lease.ts), so a
 * replica that lost the lock cannot write. Every write is idempotent: re-reading a block range inserts
 * nothing new.
 */
import type pg from "pg";
import type { PaymentRow } from "./classify.js";

/** The stored cursor height for `recipient`, or null before the first pass. */
export async function readCursor(c: pg.ClientBase, recipient: string): Promise<number | null> {
  const res = await c.query<{ height: string }>("SELECT height::text AS height FROM watcher_cursors WHERE recipient = $1", [recipient]);
  const row = res.rows[0];
  return row ? Number(row.height) : null;
}

/** Moves the cursor forward to `height` (never back: GREATEST). */
export async function saveCursor(c: pg.ClientBase, recipient: string, height: number): Promise<void> {
  await c.query(
    `INSERT INTO watcher_cursors (recipient, height) VALUES ($1, $2::bigint)
     ON CONFLICT (recipient) DO UPDATE SET height = GREATEST(watcher_cursors.height, EXCLUDED.height), updated_at = now()`,
    [recipient, height],
  );
}

/** Which of `hashes` are already recorded. */
export async function knownHashes(c: pg.ClientBase, hashes: readonly string[]): Promise<Set<string>> {
  if (hashes.length === 0) return new Set();
  const res = await c.query<{ tx_hash: string }>("SELECT tx_hash FROM payments WHERE tx_hash = ANY($1::text[])", [hashes]);
  return new Set(res.rows.map((r) => r.tx_hash));
}

/** deposit memo → client id, for the memos that are some prepaid account's deposit memo. */
export async function depositAccounts(c: pg.ClientBase, memos: readonly string[]): Promise<Map<string, string>> {
  if (memos.length === 0) return new Map();
  const res = await c.query<{ client_id: string; deposit_memo: string }>(
    "SELECT client_id, deposit_memo FROM prepaid_accounts WHERE deposit_memo = ANY($1::text[])",
    [memos],
  );
  return new Map(res.rows.map((r) => [r.deposit_memo, r.client_id]));
}

const INSERT = `
  INSERT INTO payments (tx_hash, recipient, height, tx_index, block_time, sender, denom, amount_micro, other_amounts,
                        memo, code, status, invoice_id, expected_micro, client_id)
  SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::int[], $5::timestamptz[], $6::text[], $7::text[],
                       $8::bigint[], $9::jsonb[], $10::text[], $11::int[], $12::text[], $13::text[], $14::bigint[], $15::text[])
  ON CONFLICT DO NOTHING
  RETURNING tx_hash`;

function columns(rows: readonly PaymentRow[]): unknown[] {
  return [
    rows.map((r) => r.txHash),
    rows.map((r) => r.recipient),
    rows.map((r) => String(r.height)),
    rows.map((r) => r.txIndex),
    rows.map((r) => r.blockTime.toISOString()),
    rows.map((r) => r.sender),
    rows.map((r) => r.denom),
    rows.map((r) => r.amountMicro.toString()),
    rows.map((r) => JSON.stringify(r.otherAmounts)),
    rows.map((r) => r.memo),
    rows.map((r) => r.code),
    rows.map((r) => r.status),
    rows.map((r) => r.invoiceId),
    rows.map((r) => (r.expectedMicro === null ? null : r.expectedMicro.toString())),
    rows.map((r) => r.clientId),
  ];
}

/**
 * Records `rows` in one transaction. A row refused by the one-counting-payment-per-invoice index is
 * recorded again as `duplicate`; a row whose tx hash is already there stays as it was.
 * @returns the rows newly inserted, with their final status
 */
export async function insertPayments(c: pg.ClientBase, rows: readonly PaymentRow[]): Promise<PaymentRow[]> {
  if (rows.length === 0) return [];
  await c.query("BEGIN");
  try {
    const first = await c.query<{ tx_hash: string }>(INSERT, columns(rows));
    const done = new Set(first.rows.map((r) => r.tx_hash));
    const retry = rows.filter((r) => !done.has(r.txHash) && r.invoiceId !== null).map((r) => ({ ...r, status: "duplicate" as const }));
    const second = retry.length ? await c.query<{ tx_hash: string }>(INSERT, columns(retry)) : { rows: [] };
    await c.query("COMMIT");
    const dup = new Set(second.rows.map((r) => r.tx_hash));
    return [...rows.filter((r) => done.has(r.txHash)), ...retry.filter((r) => dup.has(r.txHash))];
  } catch (err) {
    await c.query("ROLLBACK").catch(() => undefined);
    throw err;
  }
}
