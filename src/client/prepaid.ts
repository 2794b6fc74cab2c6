/**
 * Prepaid top-up: on INSUFFICIENT_BALANCE, pay the account's deposit memo (under the same policy),
 * POST /prepaid/deposit, then retry the request once with the credentials.
 */
import { fromBech32 } from "@cosmjs/encoding";
import { z } from "zod";
import { errorCode, type FlowContext, type PrepaidSettings } from "./context.js";
import { PaymentRejectedError, PolicyViolationError } from "./errors.js";
import { readInvoice } from "./invoice.js";
import { attempt, discard, readJsonBounded, type BufferedRequest } from "./request.js";
import { spend } from "./spend.js";
import type { Receipt } from "./state.js";

const isBech32 = (s: string) => {
  try {
    fromBech32(s, 128);
    return true;
  } catch {
    return false;
  }
};

const topUpBody = z.object({
  prepaid: z.object({
    depositMemo: z.string().regex(/^[A-Za-z0-9_.-]{16,255}$/),
    depositAddress: z.string().max(128).refine(isBech32, "depositAddress must be bech32"),
    depositUrl: z.string().max(2048).optional(),
  }),
});

/** Prepaid credentials as request headers (docs/design.md "Request headers"). */
export function credentialHeaders(p: PrepaidSettings | undefined): Record<string, string> {
  return p ? { "x-client-id": p.clientId, "x-client-key": p.key } : {};
}

/** The deposit endpoint: configured, or from the 402 body but only on the request's own origin. */
function depositEndpoint(p: PrepaidSettings, fromBody: string | undefined, requestUrl: string): string {
  if (p.depositUrl) return p.depositUrl;
  const url = new URL(fromBody ?? "/prepaid/deposit", requestUrl);
  // The body is the server's word; a deposit URL elsewhere could harvest our tx and client id.
  if (url.origin !== new URL(requestUrl).origin)
    throw new PolicyViolationError("MALFORMED_INVOICE", `prepaid.depositUrl ${url.origin} is not on ${new URL(requestUrl).origin}`);
  return url.href;
}

/** Credits a paid deposit; settles the receipt. @throws PaymentRejectedError when not credited */
async function credit(ctx: FlowContext, url: string, receipt: Receipt): Promise<void> {
  let res: Response;
  try {
    res = await ctx.fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ clientId: receipt.clientId, txHash: receipt.txHash }),
    });
  } catch (err) {
    ctx.budget.unclaim(receipt.txHash);
    throw err;
  }
  if (res.ok) {
    await discard(res);
    return ctx.budget.settle(receipt.txHash, "redeemed");
  }
  const code = errorCode(await readJsonBounded(res).catch(() => undefined));
  // Used elsewhere or the wrong memo: final. Not found yet, unconfirmed, outage: reuse the deposit later.
  if (res.status === 422 || code === "PROOF_ALREADY_USED") await ctx.budget.settle(receipt.txHash, "refused", code ?? `HTTP_${res.status}`);
  else ctx.budget.unclaim(receipt.txHash);
  throw new PaymentRejectedError(
    `deposit tx ${receipt.txHash} was not credited: ${res.status} ${code ?? ""}`.trim(),
    receipt.txHash,
    undefined,
    res.status,
    code,
  );
}

/**
 * @param headers / body of the INSUFFICIENT_BALANCE 402 (body already parsed)
 * @throws PolicyViolationError before paying; PaymentRejectedError when the deposit was not credited or
 *   the retry is still refused (no second top-up)
 */
export async function topUpAndRetry(
  ctx: FlowContext,
  p: PrepaidSettings,
  req: BufferedRequest,
  headers: Headers,
  body: unknown,
): Promise<Response> {
  const parsed = topUpBody.safeParse(body);
  if (!parsed.success)
    throw new PolicyViolationError("MALFORMED_INVOICE", "INSUFFICIENT_BALANCE without a valid prepaid.depositMemo / depositAddress");
  const { depositMemo, depositAddress, depositUrl } = parsed.data.prepaid;
  // The invoice in the same 402 says which network and denom the gateway takes, and the price.
  const invoice = readInvoice(headers.get("payment-required"), body, ctx.policy.acceptance);
  const endpoint = depositEndpoint(p, depositUrl, req.url);
  const receipt =
    (await ctx.budget.claimUnredeemed((r) => r.kind === "deposit" && r.clientId === p.clientId && r.memo === depositMemo)) ??
    (await spend(ctx, req, {
      kind: "deposit",
      payTo: depositAddress,
      amountMicro: p.topUpMicro ?? invoice.amountMicro,
      denom: invoice.denom,
      network: invoice.network,
      memo: depositMemo,
      clientId: p.clientId,
    }));
  await credit(ctx, endpoint, receipt);
  const retry = await ctx.fetch(req.url, attempt(req, credentialHeaders(p)));
  if (retry.status === 402) {
    const code = errorCode(await readJsonBounded(retry).catch(() => undefined));
    throw new PaymentRejectedError(
      `topped up with tx ${receipt.txHash} but the retry got 402 ${code ?? ""}`.trim(),
      receipt.txHash,
      invoice,
      402,
      code,
    );
  }
  return retry;
}
