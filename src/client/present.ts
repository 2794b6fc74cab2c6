/**
 * Presents a paid proof: retries the request with the receipt's proof header (proofHeaders) and settles
 * the receipt from the answer. A pending answer (402 PAYMENT_PENDING / AWAITING_CONFIRMATION: the
 * payment is not in a block or not confirmed yet) is retried with the SAME proof after its
 * `Retry-After`, a bounded number of times; any other 402 ends in PaymentRejectedError, never in
 * another payment.
 */
import type { FlowContext } from "./context.js";
import { errorCode } from "./context.js";
import { PaymentRejectedError } from "./errors.js";
import type { ClientInvoice } from "./invoice.js";
import { attempt, readJsonBounded, type BufferedRequest } from "./request.js";
import type { Receipt } from "./state.js";

/** base64 of UTF-8 JSON, with web APIs only (btoa, TextEncoder). */
function base64Json(value: unknown): string {
  const bytes = new TextEncoder().encode(JSON.stringify(value));
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

/**
 * The proof header for a receipt: x402 v2 `PAYMENT-SIGNATURE` (signed-transaction payload, or
 * `{txHash, invoiceId}`) when the 402 spoke v2, else `X-Payment-Proof: <invoiceId>:<txHash>`.
 */
export function proofHeaders(r: Receipt): Record<string, string> {
  if (r.proofHeader !== "payment-signature") return { "x-payment-proof": r.invoiceId ? `${r.invoiceId}:${r.txHash}` : r.txHash };
  const accepted = {
    scheme: "exact",
    network: r.network,
    asset: r.denom,
    amount: r.amountMicro,
    payTo: r.payTo,
    maxTimeoutSeconds: 300,
    extra: { ...(r.invoiceId !== undefined && { invoiceId: r.invoiceId }), memo: r.memo },
  };
  const payload = r.signedTx
    ? { signedTx: r.signedTx, authorization: r.authorization }
    : { txHash: r.txHash, ...(r.invoiceId !== undefined && { invoiceId: r.invoiceId }) };
  return { "payment-signature": base64Json({ x402Version: 2, resource: { url: r.url }, accepted, payload }) };
}

/** Answers that mean "try again later", not "this proof is bad": the proof stays reusable. */
const RETRY_LATER = new Set([429, 503]);
/** 402 codes that mean "your payment is on its way": present the same proof again, never pay again. */
const PENDING = new Set(["PAYMENT_PENDING", "AWAITING_CONFIRMATION"]);
/** Presentations of one proof while it is pending, and the longest single wait honoured (ms). */
const MAX_PENDING_RETRIES = 5;
const MAX_WAIT_MS = 30_000;

/** Retry-After in ms (delta-seconds form), bounded; 1 s when absent or unreadable. */
function retryAfterMs(res: Response): number {
  const s = Number(res.headers.get("retry-after"));
  return Number.isFinite(s) && s >= 0 ? Math.min(MAX_WAIT_MS, Math.max(0, s * 1000)) : 1000;
}

/**
 * @param invoice the invoice just paid (undefined when reusing a receipt stored before a restart)
 * @throws PaymentRejectedError on a 402 (receipt marked refused, or kept unredeemed while still pending)
 */
export async function present(ctx: FlowContext, req: BufferedRequest, receipt: Receipt, invoice?: ClientInvoice): Promise<Response> {
  let res: Response;
  let code: string | undefined;
  for (let tries = 0; ; tries++) {
    try {
      res = await ctx.fetch(req.url, attempt(req, proofHeaders(receipt)));
    } catch (err) {
      ctx.budget.unclaim(receipt.txHash); // outcome unknown: the next call for this request reuses the proof
      throw err;
    }
    if (res.status !== 402) break;
    code = errorCode(await readJsonBounded(res).catch(() => undefined));
    if (!code || !PENDING.has(code) || tries >= MAX_PENDING_RETRIES) break;
    await new Promise((r) => setTimeout(r, retryAfterMs(res)));
  }
  if (res.status === 402) {
    if (code && PENDING.has(code)) ctx.budget.unclaim(receipt.txHash);
    else await ctx.budget.settle(receipt.txHash, "refused", code ?? "HTTP_402");
    throw new PaymentRejectedError(
      `paid ${receipt.amount} ${receipt.denom} in tx ${receipt.txHash} but the retry got 402 ${code ?? ""}`.trim(),
      receipt.txHash,
      invoice,
      402,
      code,
    );
  }
  if (RETRY_LATER.has(res.status)) ctx.budget.unclaim(receipt.txHash);
  else await ctx.budget.settle(receipt.txHash, "redeemed");
  return res;
}
