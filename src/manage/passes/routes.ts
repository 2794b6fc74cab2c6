/**
 * POST /manage/passes/revoke `{ jti, reason? }`: revoke a pass by its `jti` (the invoice id that bought it). Every replica refuses the
 * pass within milliseconds (Postgres NOTIFY; src/store/pass-revocations.ts).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { InvoiceCodec } from "../../core/invoices.js";
import { MAX_PASS_SECONDS } from "../../core/offer-terms.js";
import { revokePass } from "../../store/pass-revocations.js";
import { sendError } from "../../transport/http/errors.js";
import { guard, operatorOf } from "../auth/guard.js";
import type { ManageDeps } from "../deps.js";
import { sendInvalid } from "../http.js";

// In the body, not the path: a jti (invoice id) is up to 255 characters, past fastify's path-parameter limit.
export const revokePassBody = z
  .object({
    jti: z.string().regex(/^[A-Za-z0-9_.-]{16,255}$/, "jti must be a pass invoice id"),
    reason: z.string().max(200).optional(),
  })
  .strict();

async function revoke(deps: ManageDeps, codec: InvoiceCodec, req: FastifyRequest, reply: FastifyReply) {
  const b = revokePassBody.safeParse(req.body ?? {});
  if (!b.success) return sendInvalid(reply, b.error);
  const inv = codec.verify(b.data.jti);
  if (!inv || inv.passSeconds === undefined) {
    return sendError(reply, "NOT_FOUND", "No pass invoice with this jti was issued by this gateway");
  }
  // The pass was minted after the invoice was paid, so it expires at most passSeconds from now.
  const expiresAt = new Date(Date.now() + Math.min(inv.passSeconds, MAX_PASS_SECONDS) * 1000);
  const created = await revokePass(deps.pool, { jti: inv.id, expiresAt, reason: b.data.reason, revokedBy: operatorOf(req)?.subject });
  return reply.code(created ? 201 : 200).send({ jti: inv.id, scope: inv.routeId, revoked: true, alreadyRevoked: !created });
}

export function passRoutes(app: FastifyInstance, deps: ManageDeps): void {
  const codec = new InvoiceCodec(deps.config.invoiceSecret, deps.config.paymentAddress, deps.config.denom, deps.config.chainId);
  app.post("/passes/revoke", { preHandler: guard(deps.tokens, "write") }, (req, reply) => revoke(deps, codec, req, reply));
}
