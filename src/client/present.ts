/**
 * Presents a paid proof: retries the request ONCE with `X-Payment-Proof: <invoiceId>:<txHash>` and
 * settles the receipt from the answer. A 402 ends in PaymentRejectedError, never in another payment.
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
    scheme: "exact", network: r.network, asset: r.denom, amount: r.amountMicro, payTo: r.payTo, maxTimeoutSeconds: 300,
    extra: { ...(r.invoiceId !== undefined && { invoiceId: r.invoiceId }), memo: r.memo },
  };
  const payload = r.signedTx ? { signedTx: r.signedTx, authorization: r.authorization } : { txHash: r.txHash, ...(r.invoiceId !== undefined && { invoiceId: r.invoiceId }) };
  return { "payment-signature": base64Json({ x402Version: 2, resource: { url: r.url }, accepted, payload }) };
}

/** Answers that mean "try again later", not "this proof is bad": the proof stays reusable. */
const RETRY_LATER = new Set([429, 503]);

/**
 * @param invoice the invoice just paid (undefined when reusing a receipt stored before a restart)
 * @throws PaymentRejectedError on a 402 (receipt marked refused, or kept unredeemed while AWAITING_CONFIRMATION)
 */
export async function present(ctx: FlowContext, req: BufferedRequest, receipt: Receipt, invoice?: ClientInvoice): Promise<Response> {
  let res: Response;
  try {
    res = await ctx.fetch(req.url, attempt(req, proofHeaders(receipt)));
  } catch (err) {
    ctx.budget.unclaim(receipt.txHash); // outcome unknown: the next call for this request reuses the proof
    throw err;
  }
  if (res.status === 402) {
    const code = errorCode(await readJsonBounded(res).catch(() => undefined));
    if (code === "AWAITING_CONFIRMATION") ctx.budget.unclaim(receipt.txHash);
    else await ctx.budget.settle(receipt.txHash, "refused", code ?? "HTTP_402");
    throw new PaymentRejectedError(
      `paid ${receipt.amount} ${receipt.denom} in tx ${receipt.txHash} but the retry got 402 ${code ?? ""}`.trim(),
      receipt.txHash, invoice, 402, code,
    );
  }
  if (RETRY_LATER.has(res.status)) ctx.budget.unclaim(receipt.txHash);
  else await ctx.budget.settle(receipt.txHash, "redeemed");
  return res;
}
