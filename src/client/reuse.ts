/**
 * Reusing paid offers: the first attempt of a request presents a held pass or bundle proof (wallet.ts)
 * when one may cover it; a refusal only means "pay as usual", from the 402 that refusal carried.
 * After a bundle or pass was bought, the answer tells what to hold: the uses left, or the pass token.
 */
import { errorCode, type FlowContext } from "./context.js";
import type { ClientOffer } from "./offers.js";
import { attempt, readJsonBounded, type BufferedRequest } from "./request.js";
import type { Receipt } from "./state.js";
import { offerFacts, type OfferWallet } from "./wallet.js";

/** Held offers tried per request before paying (each refusal costs one round trip). */
const MAX_TRIES = 3;

/** Statuses that say nothing about the held offer: the gate did not judge it. */
const NOT_JUDGED = new Set([429, 503]);

export interface FirstAttempt {
  readonly res: Response;
  /** the 402 body, when it had to be read already */
  readonly body?: unknown;
}

/**
 * Sends the request once, with a held offer when one may cover it.
 * @param extra other headers of this attempt (prepaid credentials)
 */
export async function firstAttempt(
  ctx: FlowContext,
  wallet: OfferWallet,
  req: BufferedRequest,
  extra: Record<string, string>,
): Promise<FirstAttempt> {
  let refused: FirstAttempt | undefined;
  if (wallet.needsRecovery(req.url)) wallet.recover(req.url, await ctx.budget.receipts());
  for (let tries = 0; ; tries++) {
    const held = tries < MAX_TRIES ? wallet.pick(req.url, req.method) : undefined;
    if (!held) return refused ?? { res: await ctx.fetch(req.url, attempt(req, extra)) };
    const res = await ctx.fetch(req.url, attempt(req, { ...extra, ...wallet.headersFor(held) }));
    if (res.status !== 402 && res.status !== 400) {
      wallet.observe(held, req.url, res, undefined);
      if (!NOT_JUDGED.has(res.status)) await ctx.budget.recordUse(held.txHash);
      return { res };
    }
    const body = await readJsonBounded(res);
    const code = errorCode(body);
    wallet.observe(held, req.url, res, code);
    // WRONG_RESOURCE: another held offer may cover this path; else pay from this 402.
    if (res.status === 402 && code === "WRONG_RESOURCE") refused = { res, body };
    else if (res.status === 402) return { res, body };
    // 400 INVALID_PROOF: the held offer was dropped; try again without it. Another 400 is the caller's.
    else if (code !== "INVALID_PROOF") return { res: new Response(JSON.stringify(body), { status: res.status, headers: res.headers }) };
  }
}

/** After paying `offer` and presenting it: hold the rest of a bundle or the pass the server returned. */
export async function holdBought(
  ctx: FlowContext,
  wallet: OfferWallet,
  req: BufferedRequest,
  receipt: Receipt,
  offer: ClientOffer,
  res: Response,
): Promise<void> {
  if (offer.kind === "single" || res.status === 402 || NOT_JUDGED.has(res.status)) return;
  await ctx.budget.recordUse(receipt.txHash);
  const { origin, pathname } = new URL(req.url);
  const facts = offerFacts(res);
  if (offer.kind === "bundle") {
    if (facts.usesLeft !== undefined)
      wallet.addBundle(origin, pathname, req.method, receipt.txHash, `${receipt.invoiceId}:${receipt.txHash}`, facts.usesLeft);
    return;
  }
  if (facts.token !== undefined) wallet.addPass(origin, pathname, offer.scope, receipt.txHash, facts.token);
}
