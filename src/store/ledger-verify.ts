/**
 * Ledger verifier: walks every account's hash chain in seq order, recomputes each hash in JS and
 * checks the chain against the account row. Runs in one REPEATABLE READ snapshot, so it is exact
 * while debits continue.
 */
import pg from "pg";
import { ledgerEntryHash, ledgerGenesisHash } from "./ledger-hash.js";
import type { PgStore } from "./pg-store.js";
import { transaction } from "./pool.js";

export type LedgerProblem = "hash_mismatch" | "seq_gap" | "head_mismatch" | "balance_mismatch";

export type LedgerVerification =
  | { readonly ok: true; readonly accounts: number; readonly entries: number }
  | { readonly ok: false; readonly clientId: string; readonly seq: bigint; readonly problem: LedgerProblem };

type Failure = Extract<LedgerVerification, { ok: false }>;

interface AccountRow {
  client_id: string;
  balance_micro: string;
  ledger_seq: string;
  ledger_head: string;
}

interface EntryRow {
  seq: string;
  kind: string;
  amount_micro: string;
  balance_after_micro: string;
  ref: string | null;
  route_id: string | null;
  method: string | null;
  tx_hash: string | null;
  created_at: Date;
  prev_hash: string;
  hash: string;
}

// Output columns are cast to text (bigint stays exact in JS), so ORDER BY must name the table column.
const PAGE = 1000;

/** State of one account's walk: what the next entry must chain onto. */
interface Walk {
  seq: bigint;
  head: string;
  balanceMicro: bigint;
}

function checkEntry(clientId: string, w: Walk, e: EntryRow): Failure | null {
  const seq = BigInt(e.seq);
  const fail = (problem: Failure["problem"]): Failure => ({ ok: false, clientId, seq, problem });
  if (seq !== w.seq + 1n) return { ok: false, clientId, seq: w.seq + 1n, problem: "seq_gap" };
  const amountMicro = BigInt(e.amount_micro);
  const balanceAfterMicro = BigInt(e.balance_after_micro);
  const recomputed = ledgerEntryHash(w.head, {
    clientId, seq, kind: e.kind, amountMicro, balanceAfterMicro,
    ref: e.ref, routeId: e.route_id, method: e.method, txHash: e.tx_hash, createdAt: e.created_at,
  });
  if (e.prev_hash !== w.head || e.hash !== recomputed) return fail("hash_mismatch");
  const balanceMicro = w.balanceMicro + amountMicro;
  if (balanceAfterMicro !== balanceMicro || balanceMicro < 0n) return fail("balance_mismatch");
  w.seq = seq;
  w.head = e.hash;
  w.balanceMicro = balanceMicro;
  return null;
}

async function walkAccount(c: pg.PoolClient, a: AccountRow): Promise<Failure | number> {
  const w: Walk = { seq: 0n, head: ledgerGenesisHash(a.client_id), balanceMicro: 0n };
  for (;;) {
    const res = await c.query<EntryRow>(
      `SELECT seq::text, kind, amount_micro::text, balance_after_micro::text, ref, route_id, method, tx_hash,
              created_at, prev_hash, hash
         FROM ledger_entries WHERE client_id = $1 AND seq > $2::bigint ORDER BY ledger_entries.seq LIMIT ${PAGE}`,
      [a.client_id, w.seq.toString()],
    );
    for (const e of res.rows) {
      const failure = checkEntry(a.client_id, w, e);
      if (failure) return failure;
    }
    if (res.rows.length < PAGE) break;
  }
  if (w.seq !== BigInt(a.ledger_seq) || w.head !== a.ledger_head) {
    return { ok: false, clientId: a.client_id, seq: BigInt(a.ledger_seq), problem: "head_mismatch" };
  }
  if (w.balanceMicro !== BigInt(a.balance_micro)) {
    return { ok: false, clientId: a.client_id, seq: w.seq, problem: "balance_mismatch" };
  }
  return Number(w.seq);
}

async function walkAll(c: pg.PoolClient): Promise<LedgerVerification> {
  let accounts = 0;
  let entries = 0;
  let after = "";
  for (;;) {
    const res = await c.query<AccountRow>(
      `SELECT client_id, balance_micro::text, ledger_seq::text, ledger_head
         FROM prepaid_accounts WHERE client_id > $1 ORDER BY client_id LIMIT ${PAGE}`,
      [after],
    );
    for (const a of res.rows) {
      const walked = await walkAccount(c, a);
      if (typeof walked !== "number") return walked;
      accounts += 1;
      entries += walked;
      after = a.client_id;
    }
    if (res.rows.length < PAGE) return { ok: true, accounts, entries };
  }
}

/**
 * Verifies every account's ledger: hashes (hash_mismatch), consecutive seqs from 1 (seq_gap), the
 * account's ledger_seq/ledger_head against the newest entry (head_mismatch — catches a deleted newest
 * entry), running balance_after and the account balance against the sum of amounts (balance_mismatch).
 * Stops at the first problem.
 * @throws StoreUnavailableError
 */
export async function verifyLedger(source: pg.Pool | PgStore): Promise<LedgerVerification> {
  const pool = source instanceof pg.Pool ? source : source.pool;
  return transaction(pool, "verifyLedger", async (c) => {
    await c.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
    return { commit: false, value: await walkAll(c) };
  });
}
