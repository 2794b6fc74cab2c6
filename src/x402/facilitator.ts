/**
 * The x402 v2 facilitator API for scheme `exact` on `cosmos:<chain-id>`, as @x402/core's
 * HTTPFacilitatorClient calls it: `POST <base>/verify` and `POST <base>/settle` with
 * `{x402Version, paymentPayload, paymentRequirements}`, `GET <base>/supported`. Verify applies the
 * signed-payment rules without broadcasting; settle broadcasts (or, for a `{txHash}` payload, checks
 * the included tx) and redeems the payment once in Postgres. No custody: nothing is signed here.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { facilitatorReason, type FacilitatorReason } from "../core/catalogue.js";
import { signedPayload } from "../core/proofs.js";
import { decodeSignedTx } from "../core/signed-tx/decode.js";
import { settleSigned, verifySigned, type SettleResult, type SignedTxDeps } from "../core/signed-tx/settle.js";
import type { SignedExpectations } from "../core/signed-tx/verify.js";
import { ChainUnavailableError, StoreUnavailableError } from "../ports/errors.js";
import { settleTxHash } from "./tx-hash.js";
import type { StorePort } from "../ports/store.js";
import { FACILITATOR_ROUTE_ID } from "../ports/settlement.js";
import { sendError } from "../transport/http/errors.js";
import { memoIssuedAt } from "./memo.js";

export interface FacilitatorOptions {
  /** e.g. "/x402" */
  readonly base: string;
  /** CAIP-2, "cosmos:Neutaro-1" */
  readonly network: string;
  readonly denom: string;
  readonly signed: SignedTxDeps;
  readonly store: StorePort;
  /** when set, verify and settle need `Authorization: Bearer <token>` */
  readonly token?: string;
  /** unix ms */
  readonly clock: () => number;
  readonly lastKnownHeight: () => number;
}

const requirementsSchema = z
  .object({
    scheme: z.string(),
    network: z.string(),
    asset: z.string(),
    amount: z.string().regex(/^\d{1,30}$/),
    payTo: z.string().max(128),
    maxTimeoutSeconds: z
      .number()
      .int()
      .positive()
      .max(86_400 * 30),
    extra: z.record(z.string(), z.unknown()).optional(),
  })
  .passthrough();
const bodySchema = z.object({
  x402Version: z.literal(2),
  paymentPayload: z
    .object({
      x402Version: z.literal(2),
      accepted: requirementsSchema,
      payload: z.record(z.string(), z.unknown()),
      resource: z
        .object({ url: z.string().max(2048) })
        .passthrough()
        .optional(),
    })
    .passthrough(),
  paymentRequirements: requirementsSchema,
});
const hashPayload = z.object({ txHash: z.string().regex(/^[0-9a-fA-F]{64}$/) });

type Body = z.infer<typeof bodySchema>;
type Failure = { readonly reason: FacilitatorReason; readonly message: string; readonly payer?: string };

/** The requirements the server sends must be the ones the payer accepted (memo aside: it is per request). */
function mismatch(b: Body, o: FacilitatorOptions): string | undefined {
  const r = b.paymentRequirements;
  const a = b.paymentPayload.accepted;
  if (r.scheme !== "exact" || r.network !== o.network) return `only scheme "exact" on ${o.network}`;
  if (r.asset !== o.denom) return `asset must be ${o.denom}`;
  for (const k of ["scheme", "network", "asset", "amount", "payTo", "maxTimeoutSeconds"] as const) {
    if (String(r[k]) !== String(a[k])) return `payment accepted other requirements (${k})`;
  }
  return undefined;
}

/** Memo and expiry the payment must carry: the accepted memo, until its issue time + maxTimeoutSeconds. */
function binding(b: Body, auth?: { timeoutAt?: number }): { memo: string; expiresAt: number } | string {
  const memo = b.paymentPayload.accepted.extra?.["memo"];
  if (typeof memo !== "string" || memo.length === 0 || memo.length > 256) return "accepted requirements carry no extra.memo";
  const issued = memoIssuedAt(memo);
  if (issued !== undefined) return { memo, expiresAt: issued + b.paymentRequirements.maxTimeoutSeconds };
  if (auth?.timeoutAt === undefined) return "payload.authorization.timeoutAt is required with this memo";
  return { memo, expiresAt: auth.timeoutAt };
}

type Outcome = { ok: true; txHash: string; payer: string } | ({ ok: false } & Failure);

async function decide(o: FacilitatorOptions, raw: unknown, settle: boolean): Promise<Outcome> {
  const parsed = bodySchema.safeParse(raw);
  if (!parsed.success) return { ok: false, reason: "invalid_payload", message: parsed.error.issues[0]?.message ?? "invalid body" };
  const b = parsed.data;
  const wrong = mismatch(b, o);
  if (wrong) return { ok: false, reason: "invalid_payment_requirements", message: wrong };
  const hash = hashPayload.safeParse(b.paymentPayload.payload);
  if (hash.success) {
    const bound = binding(b);
    if (typeof bound === "string") return { ok: false, reason: "invalid_payload", message: bound };
    return settleTxHash(o, hash.data.txHash.toUpperCase(), b.paymentRequirements, bound.memo, settle);
  }
  const sp = signedPayload.safeParse(b.paymentPayload.payload);
  if (!sp.success) return { ok: false, reason: "invalid_payload", message: "payload must be {signedTx, authorization} or {txHash}" };
  const decoded = decodeSignedTx(sp.data.signedTx);
  if (!decoded.ok) return { ok: false, reason: "invalid_payload", message: decoded.message };
  const bound = binding(b, sp.data.authorization);
  if (typeof bound === "string") return { ok: false, reason: "invalid_payload", message: bound };
  const r = b.paymentRequirements;
  const x: SignedExpectations = {
    chainId: o.signed.chainId,
    prefix: o.signed.prefix,
    payTo: r.payTo,
    denom: o.denom,
    minAmountMicro: BigInt(r.amount),
    memo: bound.memo,
    expiresAt: bound.expiresAt,
    nowSec: Math.floor(o.clock() / 1000),
    latestHeight: o.lastKnownHeight(),
  };
  const result: SettleResult = settle
    ? await settleSigned(o.signed, decoded.tx, sp.data.authorization, x, {
        invoiceId: bound.memo,
        routeId: FACILITATOR_ROUTE_ID,
        method: "*",
        priceMicro: BigInt(r.amount),
        uses: 1,
      })
    : await verifySigned(o.signed, decoded.tx, sp.data.authorization, x);
  if (!result.ok) return { ok: false, reason: facilitatorReason(result.reason), message: result.message, payer: result.payer };
  return { ok: true, txHash: result.txHash, payer: result.payer };
}

function authorized(o: FacilitatorOptions, req: FastifyRequest): boolean {
  if (!o.token) return true;
  const got = Buffer.from(String(req.headers.authorization ?? ""));
  const want = Buffer.from(`Bearer ${o.token}`);
  return got.length === want.length && timingSafeEqual(got, want);
}

async function guarded(o: FacilitatorOptions, req: FastifyRequest, reply: FastifyReply, settle: boolean) {
  if (!authorized(o, req)) return sendError(reply, "UNAUTHORIZED", "Bearer token required");
  try {
    const out = await decide(o, req.body, settle);
    if (settle) {
      return out.ok
        ? { success: true, transaction: out.txHash, network: o.network, payer: out.payer }
        : { success: false, errorReason: out.reason, errorMessage: out.message, payer: out.payer, transaction: "", network: o.network };
    }
    return out.ok
      ? { isValid: true, payer: out.payer }
      : { isValid: false, invalidReason: out.reason, invalidMessage: out.message, payer: out.payer };
  } catch (err) {
    if (err instanceof ChainUnavailableError || err instanceof StoreUnavailableError) {
      const code = err instanceof ChainUnavailableError ? "CHAIN_UNAVAILABLE" : "STORE_UNAVAILABLE";
      return sendError(reply.header("retry-after", "2"), code, err.message);
    }
    throw err;
  }
}

/** Registers the three facilitator routes on `app`. */
export function facilitatorRoutes(app: FastifyInstance, o: FacilitatorOptions): void {
  app.get(`${o.base}/supported`, async () => ({
    kinds: [
      { x402Version: 2, scheme: "exact", network: o.network, extra: { asset: o.denom, decimals: 6, payloads: ["signedTx", "txHash"] } },
    ],
    extensions: [],
    signers: {},
  }));
  app.post(`${o.base}/verify`, (req, reply) => guarded(o, req, reply, false));
  app.post(`${o.base}/settle`, (req, reply) => guarded(o, req, reply, true));
}
