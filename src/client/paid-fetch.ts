/**
 * createPaidFetch: a `fetch` that pays gate402 (and other x402 `exact` servers on Neutaro) under a
 * spending policy. On 402: read and validate the invoice, check the policy, reserve budget, pay, wait
 * for inclusion, record the receipt, retry with `X-Payment-Proof: <invoiceId>:<txHash>` — or, when
 * the 402 carries x402 v2 (PAYMENT-REQUIRED), sign without broadcasting and retry with
 * `PAYMENT-SIGNATURE` (signed-transaction payload; the server broadcasts and answers PAYMENT-RESPONSE).
 * While the gateway answers that the payment is pending, the same proof is presented again after
 * `Retry-After` (present.ts); never a second payment.
 */
import { AmountFormatError, parseCoins } from "../money.js";
import { Budget } from "./budget.js";
import { errorCode, type FlowContext, type PrepaidSettings } from "./context.js";
import { fileStore } from "./file-store.js";
import { readInvoice } from "./invoice.js";
import { pickOffer, readOffers, type OfferPreference } from "./offers.js";
import type { Payer } from "./payer.js";
import { checkHost, compilePolicy, PolicyConfigError, type Amount, type SpendingPolicy } from "./policy.js";
import { topUpAndRetry, credentialHeaders } from "./prepaid.js";
import { present } from "./present.js";
import { bufferRequest, readJsonBounded, type PaidRequestInit } from "./request.js";
import { firstAttempt, holdBought } from "./reuse.js";
import { spend } from "./spend.js";
import type { PolicyStore, Receipt } from "./state.js";
import { OfferWallet } from "./wallet.js";

export interface PrepaidOptions {
  readonly clientId: string;
  /** the clientKey POST /prepaid/accounts returned */
  readonly key: string;
  /** amount per top-up: bigint uneutaro or decimal NTMPI (default: the price of the refused request) */
  readonly topUpMicro?: Amount;
  /** deposit endpoint (default: the 402 body's prepaid.depositUrl on the request's origin) */
  readonly depositUrl?: string;
}

export interface PaidFetchOptions {
  readonly payer: Payer;
  readonly policy: SpendingPolicy;
  /** budget and receipts; default fileStore() ($GATE402_CLIENT_STATE or ~/.gate402/client-state.json) */
  readonly store?: PolicyStore;
  /** send X-Client-Id/X-Client-Key and top up on INSUFFICIENT_BALANCE */
  readonly prepaid?: PrepaidOptions;
  /** the fetch to wrap, default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** unix ms clock for the rolling windows, default Date.now */
  readonly now?: () => number;
  /**
   * x402 v2 servers (PAYMENT-REQUIRED header): "signed" (default) sends the signed-transaction payload
   * in PAYMENT-SIGNATURE when the payer can sign without broadcasting (the server broadcasts: no block
   * wait); "txHash" pays on chain first and sends `{txHash, invoiceId}`.
   */
  readonly x402Payload?: "signed" | "txHash";
  /**
   * Which offer of a 402 to buy (default "single"): "bundle" buys the bundle with the lowest price per
   * request, "pass" the pass with the lowest price per second, among those whose whole price is within
   * maxPerRequest (else the single request). Bought bundles and passes are reused per host (and method
   * or scope) until used up or expired.
   */
  readonly prefer?: OfferPreference;
}

export interface PaidFetch {
  /**
   * Like fetch. Extra init field `idempotencyKey` distinguishes two intended requests to the same URL;
   * without it, method + URL is the request's identity for reusing an unredeemed proof after a crash.
   * @throws PolicyViolationError before any payment; PaymentRejectedError after a payment the server
   *   refused; payer errors as thrown
   */
  (input: RequestInfo | URL, init?: PaidRequestInit): Promise<Response>;
  /** every payment made through this store, oldest first (JSON-safe; amounts are uneutaro strings) */
  exportReceipts(): Promise<Receipt[]>;
}

function prepaidSettings(p: PrepaidOptions | undefined): PrepaidSettings | undefined {
  if (!p) return undefined;
  let topUpMicro: bigint | undefined;
  try {
    topUpMicro = typeof p.topUpMicro === "string" ? parseCoins(p.topUpMicro) : p.topUpMicro;
  } catch (err) {
    if (err instanceof AmountFormatError) throw new PolicyConfigError([`prepaid.topUpMicro: ${err.message}`]);
    throw err;
  }
  return {
    clientId: p.clientId,
    key: p.key,
    ...(topUpMicro !== undefined && { topUpMicro }),
    ...(p.depositUrl !== undefined && { depositUrl: p.depositUrl }),
  };
}

/** @throws PolicyConfigError for an invalid policy (all problems listed) */
export function createPaidFetch(opts: PaidFetchOptions): PaidFetch {
  const policy = compilePolicy(opts.policy);
  const budget = new Budget(opts.store ?? fileStore(), policy, opts.now ?? Date.now);
  const baseFetch = opts.fetch ?? globalThis.fetch.bind(globalThis);
  const prepaid = prepaidSettings(opts.prepaid);
  const ctx: FlowContext = { policy, budget, payer: opts.payer, fetch: baseFetch, ...(prepaid && { prepaid }) };
  const prefer = opts.prefer ?? "single";
  const wallet = new OfferWallet(opts.now ?? Date.now);

  const paidFetch = async (input: RequestInfo | URL, init?: PaidRequestInit): Promise<Response> => {
    const req = await bufferRequest(input, init);
    // Paid before a crash but never presented: present that proof instead of paying again.
    const stored = await budget.claimUnredeemed((r) => r.kind === "invoice" && r.requestKey === req.key);
    if (stored) return present(ctx, req, stored);
    const { res: first, body: read } = await firstAttempt(ctx, wallet, req, credentialHeaders(prepaid));
    if (first.status !== 402) return first;
    // After a redirect, the server asking for money is the final one: it must be allowed too.
    if (first.redirected && first.url) checkHost(policy, first.url);
    const body = read ?? (await readJsonBounded(first));
    if (prepaid && errorCode(body) === "INSUFFICIENT_BALANCE") return topUpAndRetry(ctx, prepaid, req, first.headers, body);
    const single = readInvoice(first.headers.get("payment-required"), body, policy.acceptance);
    const offers = prefer === "single" ? [] : readOffers(first.headers.get("payment-required"), body, policy.acceptance);
    const invoice = pickOffer(single, offers, prefer, policy.maxPerRequestMicro);
    const receipt = await spend(ctx, req, {
      kind: "invoice",
      payTo: invoice.payTo,
      amountMicro: invoice.amountMicro,
      denom: invoice.denom,
      network: invoice.network,
      memo: invoice.memo,
      invoiceId: invoice.invoiceId,
      // Bundles and passes are paid on chain first (txHash payload): the server settles signed payloads as single requests only.
      ...(invoice.source === "x402-v2-header" && { x402v2: { signOnly: invoice.kind === "single" && opts.x402Payload !== "txHash" } }),
      ...(invoice.kind !== "single" && { offer: invoice.kind, uses: invoice.uses }),
      ...(invoice.scope !== undefined && { scope: invoice.scope }),
    });
    const res = await present(ctx, req, receipt, invoice);
    await holdBought(ctx, wallet, req, receipt, invoice, res);
    return res;
  };
  return Object.assign(paidFetch, { exportReceipts: () => budget.receipts() });
}
