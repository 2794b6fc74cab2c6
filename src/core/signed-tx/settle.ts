/**
 * Settling a signed payment: verify off-chain, claim it once in the store (bounded by the per-payer
 * cap on unconfirmed value), broadcast it (`broadcast_tx_sync`, CheckTx must admit it), then either
 * allow at once (optimistic: the confirmer records the chain's verdict later) or wait for inclusion
 * (confirmed). Shared by the gate (ext_authz / forward-auth) and the facilitator API. Throws
 * ChainUnavailableError / StoreUnavailableError (→ 503).
 */
import type { ChainPort } from "../../ports/chain.js";
import type { BroadcastPort, SettlementStorePort } from "../../ports/settlement.js";
import type { ReasonCode } from "../reasons.js";
import type { SignedPayment } from "./decode.js";
import type { PayerOrder } from "./payer-order.js";
import { checkSignedPayment, checkTerms, type SignedAuthorization, type SignedExpectations } from "./verify.js";

/** Settlement results the metrics count (gate402_x402_settlements_total{result}). */
export type SettlementEvent = "optimistic" | "confirmed" | "refused_cap" | "refused_blocked" | "checktx_refused" | "timeout" | "failed";

export interface SignedTxDeps {
  readonly broadcaster: BroadcastPort;
  readonly settlements: SettlementStorePort;
  /** tx lookups while waiting for inclusion */
  readonly chain: ChainPort;
  readonly chainId: string;
  readonly prefix: string;
  /** GATEWAY_X402_SETTLEMENT: allow before inclusion, or wait for it */
  readonly mode: "optimistic" | "confirmed";
  /** GATEWAY_X402_MAX_UNCONFIRMED, uneutaro (bigint) */
  readonly maxUnconfirmedMicro: bigint;
  /** GATEWAY_X402_CONFIRM_ABOVE: prices above this wait for inclusion even in optimistic mode, uneutaro */
  readonly confirmAboveMicro?: bigint;
  /** how long a confirmed settlement waits for inclusion, ms */
  readonly confirmWaitMs: number;
  /** poll interval while waiting, ms */
  readonly pollMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly onSettlement?: (result: SettlementEvent) => void;
  /** settles each payer's concurrent payments in sequence order (payer-order.ts); absent: arrival order */
  readonly payerOrder?: PayerOrder;
}

/** What the payment is for: the invoice (or facilitator nonce) the memo names. */
export interface SettleBinding {
  readonly invoiceId: string;
  readonly routeId: string;
  readonly method: string;
  readonly priceMicro: bigint;
  readonly uses: number;
}

export type SettleResult =
  | { readonly ok: true; readonly txHash: string; readonly payer: string; readonly paidMicro: bigint; readonly confirmed: boolean }
  | { readonly ok: false; readonly reason: ReasonCode; readonly message: string; readonly txHash?: string; readonly payer?: string };

const refusal = (reason: ReasonCode, message: string, txHash?: string, payer?: string): SettleResult => ({
  ok: false,
  reason,
  message,
  txHash,
  payer,
});
const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Off-chain verification only (facilitator /verify, and the first step of settle): the rules of
 * verify.ts against the signer's account on chain, and that neither the tx nor the memo paid before.
 */
export async function verifySigned(
  deps: SignedTxDeps,
  tx: SignedPayment,
  auth: SignedAuthorization | undefined,
  x: SignedExpectations,
): Promise<SettleResult> {
  return (await verifyWithAccount(deps, tx, auth, x)).result;
}

/** verifySigned, and the sequence the chain expects next from the signer (when it was read). */
async function verifyWithAccount(
  deps: SignedTxDeps,
  tx: SignedPayment,
  auth: SignedAuthorization | undefined,
  x: SignedExpectations,
): Promise<{ result: SettleResult; nextSequence?: bigint }> {
  const terms = checkTerms(tx, auth, x);
  if (!terms.ok) return { result: refusal(terms.reason, terms.message, tx.hash) };
  if (await deps.settlements.isSpent(tx.hash, x.memo))
    return { result: refusal("PROOF_ALREADY_USED", "This payment has already been redeemed", tx.hash, terms.payer) };
  const account = await deps.broadcaster.getAccount(tx.send.fromAddress);
  const check = checkSignedPayment(tx, auth, x, account);
  if (!check.ok) return { result: refusal(check.reason, check.message, tx.hash, terms.payer) };
  return {
    result: { ok: true, txHash: tx.hash, payer: check.payer, paidMicro: check.paidMicro, confirmed: false },
    nextSequence: account?.sequence,
  };
}

/** SDK ErrWrongSequence, and its CheckTx log. */
const WRONG_SEQUENCE = 32;
const SEQUENCE_LOG = /expected (\d+), got (\d+)/;
/** How long a tx signed ahead of the mempool's sequence waits for the payer's earlier txs, ms. */
const OUT_OF_ORDER_WAIT_MS = 1500;

/**
 * broadcast_tx_sync; a tx whose sequence is AHEAD of the mempool's is retried briefly: an agent's
 * concurrent payments (sequences n, n+1, …) reach us in any order, and CheckTx takes them only in order.
 */
async function broadcastInOrder(deps: SignedTxDeps, bytes: Uint8Array) {
  const sleep = deps.sleep ?? defaultSleep;
  const deadline = Date.now() + OUT_OF_ORDER_WAIT_MS;
  for (;;) {
    const check = await deps.broadcaster.broadcastTxSync(bytes);
    const seq = check.code === WRONG_SEQUENCE ? SEQUENCE_LOG.exec(check.log) : null;
    if (!seq || BigInt(seq[2]!) <= BigInt(seq[1]!) || Date.now() >= deadline) return check;
    await sleep(50);
  }
}

async function waitForInclusion(deps: SignedTxDeps, hash: string): Promise<{ code: number; height: number } | null> {
  const sleep = deps.sleep ?? defaultSleep;
  const deadline = Date.now() + deps.confirmWaitMs;
  for (;;) {
    const tx = await deps.chain.getTx(hash);
    if (tx) return { code: tx.code, height: tx.height };
    if (Date.now() >= deadline) return null;
    await sleep(deps.pollMs ?? 250);
  }
}

/**
 * Verifies, claims once, broadcasts and (when not optimistic) waits for inclusion.
 * @param expiresAtSec unix seconds after which the confirmer gives an unseen tx up
 */
export async function settleSigned(
  deps: SignedTxDeps,
  tx: SignedPayment,
  auth: SignedAuthorization | undefined,
  x: SignedExpectations,
  b: SettleBinding,
): Promise<SettleResult> {
  const { result: verified, nextSequence } = await verifyWithAccount(deps, tx, auth, x);
  if (!verified.ok) return verified;
  const { payer, paidMicro } = verified;
  if (!deps.payerOrder || nextSequence === undefined) return reserveAndBroadcast(deps, tx, x, b, payer, paidMicro);
  return deps.payerOrder.run(payer, tx.sequence, nextSequence, () => reserveAndBroadcast(deps, tx, x, b, payer, paidMicro));
}

/** The cap reservation, broadcast and (when not optimistic) the wait for inclusion of a verified payment. */
async function reserveAndBroadcast(
  deps: SignedTxDeps,
  tx: SignedPayment,
  x: SignedExpectations,
  b: SettleBinding,
  payer: string,
  paidMicro: bigint,
): Promise<SettleResult> {
  const optimistic = deps.mode === "optimistic" && (deps.confirmAboveMicro === undefined || b.priceMicro <= deps.confirmAboveMicro);
  const reserved = await deps.settlements.reserve({
    txHash: tx.hash,
    invoiceId: b.invoiceId,
    routeId: b.routeId,
    method: b.method,
    priceMicro: b.priceMicro,
    paidMicro,
    payer,
    uses: b.uses,
    optimistic,
    capMicro: deps.maxUnconfirmedMicro,
    expiresAt: new Date((x.expiresAt + 600) * 1000),
  });
  switch (reserved.kind) {
    case "reserved":
      break;
    case "replayed":
    case "invoice_used":
      return refusal("PROOF_ALREADY_USED", "This payment has already been redeemed", tx.hash, payer);
    case "payer_blocked":
      deps.onSettlement?.("refused_blocked");
      return refusal(
        "SETTLEMENT_REFUSED",
        `A signed payment of ${payer} failed on chain after it was accepted: pay with a confirmed transaction (txHash payload) instead`,
        tx.hash,
        payer,
      );
    case "over_cap":
      deps.onSettlement?.("refused_cap");
      return refusal(
        "SETTLEMENT_REFUSED",
        `${payer} already has ${reserved.unconfirmedMicro} uneutaro of unconfirmed payments: retry once they are included`,
        tx.hash,
        payer,
      );
  }
  let check;
  try {
    check = await broadcastInOrder(deps, tx.bytes);
  } catch (err) {
    await deps.settlements.release(tx.hash);
    throw err;
  }
  if (check.code !== 0) {
    await deps.settlements.release(tx.hash);
    deps.onSettlement?.("checktx_refused");
    return refusal(
      "PAYMENT_NOT_FOUND",
      `The chain refused the signed transaction at CheckTx (code ${check.code}): ${check.log}`,
      tx.hash,
      payer,
    );
  }
  if (optimistic) {
    deps.onSettlement?.("optimistic");
    return { ok: true, txHash: tx.hash, payer, paidMicro, confirmed: false };
  }
  const included = await waitForInclusion(deps, tx.hash);
  if (!included) {
    // Not included in time: undo the claim so the same payment can be presented again by tx hash.
    await deps.settlements.release(tx.hash);
    deps.onSettlement?.("timeout");
    return refusal(
      "AWAITING_CONFIRMATION",
      `Transaction ${tx.hash} was broadcast but is not included yet: present it again (txHash payload) once it is`,
      tx.hash,
      payer,
    );
  }
  if (included.code !== 0) {
    await deps.settlements.finish(tx.hash, { kind: "failed", code: included.code });
    deps.onSettlement?.("failed");
    return refusal("PAYMENT_NOT_FOUND", `Transaction ${tx.hash} failed on chain (code ${included.code})`, tx.hash, payer);
  }
  await deps.settlements.finish(tx.hash, { kind: "confirmed", height: included.height });
  deps.onSettlement?.("confirmed");
  return { ok: true, txHash: tx.hash, payer, paidMicro, confirmed: true };
}
