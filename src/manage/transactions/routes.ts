/** POST /manage/transactions (Idempotency-Key required) and GET /manage/transactions/:id. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { sendError } from "../../transport/http/errors.js";
import { guard, operatorOf } from "../auth/guard.js";
import type { ManageDeps } from "../deps.js";
import { sendInvalid } from "../http.js";
import { executeTransaction, findTransaction } from "./execute.js";
import { toIntent, transactionBody } from "./request.js";

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;
const idParams = z.object({ id: z.string().regex(/^\d{1,18}$/, "transaction ids are decimal integers") });

async function post(deps: ManageDeps, req: FastifyRequest, reply: FastifyReply) {
  const key = req.headers["idempotency-key"];
  if (typeof key !== "string" || !IDEMPOTENCY_KEY.test(key)) {
    return sendError(reply, "IDEMPOTENCY_KEY_REQUIRED", "Send an Idempotency-Key header (1-255 printable ASCII characters, e.g. a UUID)");
  }
  const parsed = transactionBody.safeParse(req.body);
  if (!parsed.success) return sendInvalid(reply, parsed.error);
  const intent = toIntent(parsed.data);
  if (typeof intent === "string") return sendError(reply, "INVALID_REQUEST", intent);
  const operator = operatorOf(req)!.subject;
  const result = await executeTransaction(deps.pool, key, intent, operator);
  if (result.kind === "conflict") {
    return sendError(reply, "IDEMPOTENCY_CONFLICT", "This Idempotency-Key was used with a different request");
  }
  if (!result.replayed) {
    deps.log.info(
      { transactionId: result.body["id"], kind: intent.kind, amountMicro: intent.amountMicro.toString(), status: result.status, operator },
      "operator transaction",
    );
  }
  return reply.code(result.status).header("idempotent-replayed", String(result.replayed)).send(result.body);
}

/** Registers the transaction routes on the /manage plugin. */
export function transactionRoutes(app: FastifyInstance, deps: ManageDeps): void {
  app.post("/transactions", { preHandler: guard(deps.tokens, "write") }, (req, reply) => post(deps, req, reply));
  app.get("/transactions/:id", { preHandler: guard(deps.tokens, "read") }, async (req, reply) => {
    const p = idParams.safeParse(req.params);
    if (!p.success) return sendInvalid(reply, p.error);
    const tx = await findTransaction(deps.pool, p.data.id);
    return tx ?? sendError(reply, "TRANSACTION_NOT_FOUND", `No transaction ${p.data.id}`);
  });
}
