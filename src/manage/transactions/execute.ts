/**
 * Executes an operator transaction exactly once per Idempotency-Key, in one Postgres transaction:
 * 1. claim the key (INSERT … ON CONFLICT DO NOTHING; a concurrent holder of the same key makes us wait
 *    until it commits, then we read its answer);
 * 2. lock the accounts involved in client-id order (two transfers A→B and B→A never deadlock);
 * 3. move the money through applyMovement (hash-chained ledger entries; a debit that would overdraw
 *    matches no row and writes nothing);
 * 4. store the answer on the claim row, to be replayed for the same key and request.
 */
import type pg from "pg";
import { apiError } from "../../core/catalogue.js";
import { applyMovement, type LedgerKind } from "../../store/ledger.js";
import { query, transaction } from "../../store/pool.js";
import { money } from "../http.js";
import { intentHash, type Intent } from "./request.js";

/** The HTTP answer of a transaction (first or replayed), or a key reused for another request. */
export type Execution =
  | { readonly kind: "answer"; readonly status: number; readonly body: Record<string, unknown>; readonly replayed: boolean }
  | { readonly kind: "conflict" };

interface Leg {
  clientId: string;
  kind: LedgerKind;
  amountMicro: bigint;
}

function legsOf(i: Intent): Leg[] {
  if (i.kind === "transfer") {
    // The debit goes first: when it is refused nothing has been written yet.
    return [
      { clientId: i.from!, kind: "transfer_out", amountMicro: -i.amountMicro },
      { clientId: i.to!, kind: "transfer_in", amountMicro: i.amountMicro },
    ];
  }
  return [{ clientId: i.clientId!, kind: i.kind, amountMicro: i.amountMicro }];
}

function describe(id: string, i: Intent, operator: string, createdAt: Date) {
  const accounts = i.kind === "transfer" ? { from: i.from, to: i.to } : { clientId: i.clientId };
  return {
    id,
    kind: i.kind,
    ...accounts,
    ...money("amount", i.amountMicro),
    reason: i.reason,
    operator,
    createdAt: createdAt.toISOString(),
  };
}

/** A refused transaction: the catalogue's status (src/core/catalogue.ts) and body, stored for replays. */
function refused(code: "ACCOUNT_NOT_FOUND" | "INSUFFICIENT_BALANCE", message: string): { status: number; body: Record<string, unknown> } {
  const e = apiError(code, message);
  return { status: e.status, body: { outcome: "refused", ...e.body } };
}

async function move(c: pg.PoolClient, id: string, i: Intent): Promise<{ status: number; body: Record<string, unknown> }> {
  const legs = legsOf(i);
  const ids = legs.map((l) => l.clientId);
  const locked = await c.query<{ client_id: string }>(
    "SELECT client_id FROM prepaid_accounts WHERE client_id = ANY($1::text[]) ORDER BY client_id FOR UPDATE",
    [ids],
  );
  const missing = ids.filter((cid) => !locked.rows.some((r) => r.client_id === cid));
  if (missing.length) return refused("ACCOUNT_NOT_FOUND", `No prepaid account ${missing.join(", ")}`);
  const entries = [];
  for (const leg of legs) {
    const moved = await applyMovement(c, { ...leg, ref: `manage:${id}`, routeId: null, method: null, txHash: null });
    if (!moved) {
      // Only the first leg can be refused (a credit to a locked, existing row always applies).
      return refused("INSUFFICIENT_BALANCE", `Account ${leg.clientId} has less than ${money("amount", -leg.amountMicro).amount} NTMPI`);
    }
    entries.push({
      entryId: moved.entryId,
      clientId: leg.clientId,
      kind: leg.kind,
      ...money("amount", leg.amountMicro),
      ...money("balanceAfter", moved.balanceMicro),
    });
  }
  return { status: 201, body: { outcome: "applied", entries } };
}

/**
 * Runs `intent` under `idempotencyKey` for `operator`.
 * @returns the answer (201 applied, 404/422 refused; replayed: true when the key was used before with
 *   the same request) or `conflict` when the key was used with another request
 * @throws StoreUnavailableError
 */
export function executeTransaction(pool: pg.Pool, idempotencyKey: string, intent: Intent, operator: string): Promise<Execution> {
  const hash = intentHash(intent);
  return transaction(pool, "manageTransaction", async (c) => {
    const claim = await c.query<{ id: string; created_at: Date }>(
      `INSERT INTO manage_transactions (idempotency_key, request_hash, kind, client_id, from_client, to_client, amount_micro, reason, operator)
       VALUES ($1, $2, $3, $4, $5, $6, $7::bigint, $8, $9) ON CONFLICT (idempotency_key) DO NOTHING
       RETURNING id::text, created_at`,
      [idempotencyKey, hash, intent.kind, intent.clientId, intent.from, intent.to, intent.amountMicro.toString(), intent.reason, operator],
    );
    const row = claim.rows[0];
    if (!row) return { commit: false, value: await prior(c, idempotencyKey, hash) };
    const { status, body } = await move(c, row.id, intent);
    const answer = { ...describe(row.id, intent, operator, row.created_at), ...body };
    await c.query("UPDATE manage_transactions SET outcome = $2, response_status = $3, response_body = $4::json WHERE id = $1::bigint", [
      row.id,
      status === 201 ? "applied" : "refused",
      status,
      JSON.stringify(answer),
    ]);
    return { commit: true, value: { kind: "answer", status, body: answer, replayed: false } };
  });
}

async function prior(c: pg.PoolClient, key: string, hash: string): Promise<Execution> {
  const res = await c.query<{ request_hash: string; response_status: number; response_body: Record<string, unknown> }>(
    "SELECT request_hash, response_status, response_body FROM manage_transactions WHERE idempotency_key = $1",
    [key],
  );
  const p = res.rows[0];
  if (!p || p.request_hash !== hash) return { kind: "conflict" };
  return { kind: "answer", status: p.response_status, body: p.response_body, replayed: true };
}

/** A stored transaction by id, or null. @throws StoreUnavailableError */
export async function findTransaction(pool: pg.Pool, id: string): Promise<Record<string, unknown> | null> {
  const res = await query<{ idempotency_key: string; outcome: string; response_status: number; response_body: Record<string, unknown> }>(
    pool,
    "findTransaction",
    "SELECT idempotency_key, outcome, response_status, response_body FROM manage_transactions WHERE id = $1::bigint",
    [id],
  );
  const r = res.rows[0];
  return r ? { ...r.response_body, outcome: r.outcome, status: r.response_status, idempotencyKey: r.idempotency_key } : null;
}
