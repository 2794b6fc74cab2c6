/**
 * Prepaid account administration in SQL: list with filters, suspend/resume, rotate the key. Each
 * change is one conditional UPDATE … RETURNING; balances never move here (only through the ledger).
 */
import type pg from "pg";
import type { AccountStatus } from "../../ports/store.js";
import { query } from "../../store/pool.js";
import { money } from "../http.js";

interface AccountRow {
  client_id: string;
  status: AccountStatus;
  balance_micro: string;
  deposit_memo: string;
  ledger_seq: string;
  created_at: Date;
  updated_at: Date;
  usage_calls: string | null;
  usage_total_micro: string | null;
  usage_open_at: Date | null;
  usage_last_at: Date | null;
  usage_network: string | null;
  usage_denom: string | null;
  balances: { network: string; denom: string; amountMicro: string }[] | null;
}

const COLUMNS = `client_id, status, balance_micro::text AS balance_micro, deposit_memo, ledger_seq::text AS ledger_seq,
  created_at, updated_at, usage_calls::text AS usage_calls, usage_total_micro::text AS usage_total_micro, usage_open_at, usage_last_at,
  usage_network, usage_denom,
  (SELECT json_agg(json_build_object('network', b.network, 'denom', b.denom, 'amountMicro', b.balance_micro::text)
                   ORDER BY b.network, b.denom)
     FROM prepaid_balances b WHERE b.client_id = prepaid_accounts.client_id) AS balances`;

// The open usage period (migration 0011): calls already out of the balance, not in the ledger until it closes.
function openUsage(r: AccountRow) {
  if (r.usage_calls === null || r.usage_total_micro === null || !r.usage_open_at || !r.usage_last_at) return null;
  return {
    calls: Number(r.usage_calls),
    ...money("total", BigInt(r.usage_total_micro)),
    since: r.usage_open_at.toISOString(),
    lastCallAt: r.usage_last_at.toISOString(),
    // a period in another asset than the primary (migration 0012): its total is in that asset
    ...(r.usage_denom !== null ? { network: r.usage_network, denom: r.usage_denom } : {}),
  };
}

/** An account as the management API shows it. */
export type AccountJson = ReturnType<typeof toJson>;

function toJson(r: AccountRow) {
  return {
    clientId: r.client_id,
    status: r.status,
    ...money("balance", BigInt(r.balance_micro)),
    depositMemo: r.deposit_memo,
    // balance/balanceMicro: the primary asset; balances: the other assets (migration 0012)
    balances: r.balances ?? [],
    ledgerEntries: r.ledger_seq,
    openUsage: openUsage(r),
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}

export interface AccountFilter {
  readonly status?: AccountStatus;
  /** uneutaro: only accounts with at least this balance */
  readonly minBalanceMicro?: bigint;
  /** keyset cursor: accounts with client_id > after */
  readonly after?: string;
  readonly limit: number;
}

/** Accounts ordered by client id. @throws StoreUnavailableError */
export async function listAccounts(pool: pg.Pool, f: AccountFilter): Promise<AccountJson[]> {
  const res = await query<AccountRow>(
    pool,
    "listAccounts",
    `SELECT ${COLUMNS} FROM prepaid_accounts
      WHERE ($1::text IS NULL OR status = $1) AND ($2::bigint IS NULL OR balance_micro >= $2::bigint)
        AND ($3::text IS NULL OR client_id > $3)
      ORDER BY client_id LIMIT $4`,
    [f.status ?? null, f.minBalanceMicro?.toString() ?? null, f.after ?? null, f.limit],
  );
  return res.rows.map(toJson);
}

/** One account, or null. @throws StoreUnavailableError */
export async function getAccountJson(pool: pg.Pool, clientId: string): Promise<AccountJson | null> {
  const res = await query<AccountRow>(pool, "getAccount", `SELECT ${COLUMNS} FROM prepaid_accounts WHERE client_id = $1`, [clientId]);
  return res.rows[0] ? toJson(res.rows[0]) : null;
}

/**
 * Sets the status; the Check path reads it in the same statement as each debit, so a suspension holds
 * from the next request on. @returns the account, or null when unknown. @throws StoreUnavailableError
 */
export async function setStatus(pool: pg.Pool, clientId: string, status: AccountStatus): Promise<AccountJson | null> {
  const res = await query<AccountRow>(
    pool,
    "setStatus",
    `UPDATE prepaid_accounts SET status = $2, updated_at = now() WHERE client_id = $1 RETURNING ${COLUMNS}`,
    [clientId, status],
  );
  return res.rows[0] ? toJson(res.rows[0]) : null;
}

/** Replaces the key hash: the old key stops working at once. @returns the account or null. @throws StoreUnavailableError */
export async function replaceKeyHash(pool: pg.Pool, clientId: string, keyHash: string): Promise<AccountJson | null> {
  const res = await query<AccountRow>(
    pool,
    "rotateKey",
    `UPDATE prepaid_accounts SET key_hash = $2, updated_at = now() WHERE client_id = $1 RETURNING ${COLUMNS}`,
    [clientId, keyHash],
  );
  return res.rows[0] ? toJson(res.rows[0]) : null;
}
