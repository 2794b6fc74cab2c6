/** Prepaid account rows: create, look up, check credentials. Balances only move through ledger.ts. */
import type pg from "pg";
import type { AccountStatus, AssetBalance, NewAccount, PrepaidAccount } from "../ports/store.js";
import { AccountExistsError, errorCode, UNIQUE_VIOLATION } from "./errors.js";
import { query } from "./pool.js";

interface AccountRow {
  client_id: string;
  balance_micro: string;
  deposit_memo: string;
  status: AccountStatus;
  created_at: Date;
  /** balances in other assets (migration 0012), or null when none */
  balances: { network: string; denom: string; balance: string }[] | null;
}

const BASE_COLUMNS = "client_id, balance_micro::text AS balance_micro, deposit_memo, status, created_at";
const COLUMNS = `${BASE_COLUMNS},
  (SELECT json_agg(json_build_object('network', b.network, 'denom', b.denom, 'balance', b.balance_micro::text)
                   ORDER BY b.network, b.denom)
     FROM prepaid_balances b WHERE b.client_id = prepaid_accounts.client_id) AS balances`;

function toBalances(rows: AccountRow["balances"]): readonly AssetBalance[] {
  return (rows ?? []).map((b) => ({ network: b.network, denom: b.denom, balanceMicro: BigInt(b.balance) }));
}

function toAccount(row: AccountRow): PrepaidAccount {
  return {
    clientId: row.client_id,
    balanceMicro: BigInt(row.balance_micro),
    depositMemo: row.deposit_memo,
    status: row.status,
    createdAt: row.created_at,
    balances: toBalances(row.balances),
  };
}

/**
 * Inserts an account with balance 0 and its ledger chain at the genesis hash.
 * @throws AccountExistsError when the client id or deposit memo is taken; StoreUnavailableError
 */
export async function createAccount(pool: pg.Pool, a: NewAccount): Promise<PrepaidAccount> {
  try {
    const res = await query<AccountRow>(
      pool,
      "createAccount",
      `INSERT INTO prepaid_accounts (client_id, key_hash, deposit_memo, balance_micro, ledger_head)
       VALUES ($1::text, $2, $3, 0, ledger_genesis_hash($1::text))
       RETURNING ${BASE_COLUMNS}, NULL::json AS balances`, // a new account holds no other asset
      [a.clientId, a.keyHash, a.depositMemo],
    );
    return toAccount(res.rows[0] as AccountRow);
  } catch (err) {
    if (errorCode(err) !== UNIQUE_VIOLATION) throw err;
    const constraint = (err as { constraint?: string }).constraint ?? "";
    throw new AccountExistsError(constraint.includes("deposit_memo") ? "depositMemo" : "clientId", { cause: err });
  }
}

/** Account by client id, or null. @throws StoreUnavailableError */
export async function getAccount(pool: pg.Pool, clientId: string): Promise<PrepaidAccount | null> {
  const res = await query<AccountRow>(pool, "getAccount", `SELECT ${COLUMNS} FROM prepaid_accounts WHERE client_id = $1`, [clientId]);
  return res.rows[0] ? toAccount(res.rows[0]) : null;
}

/** Account whose deposit memo is `memo`, or null. @throws StoreUnavailableError */
export async function findAccountByDepositMemo(pool: pg.Pool, memo: string): Promise<PrepaidAccount | null> {
  const res = await query<AccountRow>(pool, "findAccountByDepositMemo", `SELECT ${COLUMNS} FROM prepaid_accounts WHERE deposit_memo = $1`, [
    memo,
  ]);
  return res.rows[0] ? toAccount(res.rows[0]) : null;
}

/** true when the account exists and `keyHash` is its key hash. @throws StoreUnavailableError */
export async function checkKey(pool: pg.Pool, clientId: string, keyHash: string): Promise<boolean> {
  const res = await query(pool, "checkKey", "SELECT 1 FROM prepaid_accounts WHERE client_id = $1 AND key_hash = $2", [clientId, keyHash]);
  return res.rowCount === 1;
}
