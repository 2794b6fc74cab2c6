/**
 * Refunds of upstream failures (RefundPort). Each refund is one transaction: claim the decision id in
 * `refunds` (primary key; INSERT … ON CONFLICT DO NOTHING, so a second delivery — same stream, another
 * replica, concurrently — waits for the first and then claims nothing), then reverse the charge:
 * - prepaid: a `refund` ledger entry of exactly the debit's amount, in the asset it took (migration 0012), through the shared hash-chained
 *   movement (ledger.ts applyMovement), ref = decision id. The debit is a per-call `debit` entry or, for
 *   a call inside a `usage` rollup (open or closed period), its usage_events row (kept at least as long as
 *   the refund window); the refund entry closes the account's open period first (ledger_move), so the
 *   rollup holds exactly the calls before it. Once the detail is dropped the call is past the window: not
 *   refunded, answered `expired` when the access log says when the request started;
 * - invoice: one use back (uses_left + 1, guarded by uses_left < uses), so the same proof pays again.
 * The charge must be younger than the window by the database clock (one clock for every replica).
 */
import type pg from "pg";
import type { ChargeKind, RefundInput, RefundOutcome, RefundPort } from "../ports/refunds.js";
import { applyMovement } from "./ledger.js";
import { query, transaction } from "./pool.js";

type Claimed = Extract<RefundOutcome, { kind: "refunded" }>;

// $1 decision id, $2 status, $3 reason, $4 window ms
const CLAIM_DEBIT_SQL = `
WITH debit AS (
  (SELECT d.ref, d.client_id, -d.amount_micro AS amount_micro, d.route_id, d.method, d.network, d.denom
     FROM ledger_entries d
    WHERE d.ref = $1::text AND d.kind = 'debit' AND d.amount_micro < 0
      AND d.created_at >= now() - $4::bigint * interval '1 millisecond'
    ORDER BY d.id LIMIT 1)
  UNION ALL
  -- a call inside a usage rollup (migration 0010): its own amount from the retained detail
  (SELECT u.decision_id, u.client_id, u.amount_micro, u.route_id, u.method, u.network, u.denom
     FROM usage_events u
    WHERE u.decision_id = $1::text AND u.created_at >= now() - $4::bigint * interval '1 millisecond'
    LIMIT 1)
  LIMIT 1
), claim AS (
  INSERT INTO refunds (decision_id, charge, client_id, amount_micro, route_id, status, reason, network, denom)
  SELECT ref, 'prepaid', client_id, amount_micro, route_id, $2::int, $3::text, network, denom FROM debit
  ON CONFLICT (decision_id) DO NOTHING
  RETURNING decision_id
)
SELECT debit.client_id, debit.amount_micro::text, debit.route_id, debit.method, debit.network, debit.denom
  FROM debit JOIN claim ON claim.decision_id = debit.ref`;

// Same parameters. One use back, never above the invoice's uses.
const CLAIM_USE_SQL = `
WITH spent AS (
  SELECT u.decision_id, r.invoice_id, r.route_id, r.price_micro / r.uses AS amount_micro
    FROM redemption_uses u JOIN redemptions r ON r.invoice_id = u.invoice_id
   WHERE u.decision_id = $1::text AND u.created_at >= now() - $4::bigint * interval '1 millisecond'
), claim AS (
  INSERT INTO refunds (decision_id, charge, invoice_id, amount_micro, route_id, status, reason)
  SELECT decision_id, 'invoice', invoice_id, amount_micro, route_id, $2::int, $3::text FROM spent
  ON CONFLICT (decision_id) DO NOTHING
  RETURNING invoice_id, route_id, amount_micro
)
UPDATE redemptions r SET uses_left = r.uses_left + 1, updated_at = now()
  FROM claim
 WHERE r.invoice_id = claim.invoice_id AND r.uses_left < r.uses
RETURNING r.invoice_id, claim.route_id, claim.amount_micro::text`;

function claimParams(i: RefundInput): unknown[] {
  return [i.decisionId, i.status, i.reason, Math.max(0, Math.floor(i.windowMs))];
}

async function refundDebit(c: pg.PoolClient, i: RefundInput): Promise<Claimed | null> {
  const res = await query<{
    client_id: string;
    amount_micro: string;
    route_id: string | null;
    method: string | null;
    network: string | null;
    denom: string | null;
  }>(c, "refund", CLAIM_DEBIT_SQL, claimParams(i));
  const row = res.rows[0];
  if (!row) return null;
  const amountMicro = BigInt(row.amount_micro);
  // Back to the asset the debit took (migration 0012: NULL is the primary asset).
  const asset = row.denom === null ? null : { network: row.network!, denom: row.denom };
  const moved = await applyMovement(c, {
    clientId: row.client_id,
    kind: "refund",
    amountMicro,
    ref: i.decisionId,
    routeId: row.route_id,
    method: row.method,
    txHash: null,
    asset,
  });
  // A positive movement on an existing account (foreign key) always applies.
  if (!moved) throw new Error(`refund of ${i.decisionId}: account ${row.client_id} not moved`);
  return {
    kind: "refunded",
    charge: "prepaid",
    routeId: row.route_id ?? "default",
    amountMicro,
    clientId: row.client_id,
    ...(asset ?? {}),
  };
}

async function refundUse(c: pg.PoolClient, i: RefundInput): Promise<Claimed | null> {
  const res = await query<{ invoice_id: string; route_id: string; amount_micro: string }>(c, "refund", CLAIM_USE_SQL, claimParams(i));
  const row = res.rows[0];
  return row
    ? { kind: "refunded", charge: "invoice", routeId: row.route_id, amountMicro: BigInt(row.amount_micro), invoiceId: row.invoice_id }
    : null;
}

/**
 * Why nothing was claimed for the charge kinds looked up: refunded before, charge too old, or no such
 * charge. A call rolled up into a `usage` entry has no per-call row left once retention dropped its
 * detail; when the request started before the window (input.requestedAt), it is past refunding either way.
 */
async function refusal(c: pg.PoolClient, i: RefundInput, kinds: readonly ChargeKind[]): Promise<Exclude<RefundOutcome, Claimed>> {
  const res = await query<{ refunded: boolean; charged: boolean; old: boolean }>(
    c,
    "refund",
    `SELECT EXISTS (SELECT 1 FROM refunds WHERE decision_id = $1 AND charge = ANY($2::text[])) AS refunded,
            ('prepaid' = ANY($2::text[]) AND (EXISTS (SELECT 1 FROM ledger_entries WHERE ref = $1 AND kind = 'debit')
                                          OR EXISTS (SELECT 1 FROM usage_events WHERE decision_id = $1)))
         OR ('invoice' = ANY($2::text[]) AND EXISTS (SELECT 1 FROM redemption_uses WHERE decision_id = $1)) AS charged,
            coalesce($3::timestamptz < now() - $4::bigint * interval '1 millisecond', false) AS old`,
    [i.decisionId, kinds, i.requestedAt?.toISOString() ?? null, Math.max(0, Math.floor(i.windowMs))],
  );
  const row = res.rows[0]!;
  if (row.refunded) return { kind: "duplicate" };
  return row.charged || row.old ? { kind: "expired" } : { kind: "unknown" };
}

/**
 * Reverses the charge of one decision at most once; see RefundPort.
 * @throws StoreUnavailableError
 */
export function refundCharge(pool: pg.Pool, input: RefundInput): Promise<RefundOutcome> {
  const kinds: readonly ChargeKind[] = input.charge ? [input.charge] : ["prepaid", "invoice"];
  return transaction<RefundOutcome>(pool, "refund", async (c) => {
    for (const kind of kinds) {
      const done = kind === "prepaid" ? await refundDebit(c, input) : await refundUse(c, input);
      if (done) return { commit: true, value: done };
    }
    return { commit: false, value: await refusal(c, input, kinds) };
  });
}

/** RefundPort over a pg pool. */
export function pgRefunds(pool: pg.Pool): RefundPort {
  return { refund: (input) => refundCharge(pool, input) };
}
