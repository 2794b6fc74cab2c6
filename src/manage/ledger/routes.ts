/** GET /manage/ledger (newest first, paged, ?clientId=) and GET /manage/ledger/verify. */
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { verifyLedger } from "../../store/ledger-verify.js";
import { guard } from "../auth/guard.js";
import type { ManageDeps } from "../deps.js";
import { CLIENT_ID, decodeCursor, page, pageQuery, sendBadCursor, sendInvalid } from "../http.js";
import { listEntries } from "./entries.js";

export const ledgerQuery = pageQuery.extend({ clientId: CLIENT_ID.optional() });

/** The verification result as JSON (seq as a string). */
export function verificationJson(v: Awaited<ReturnType<typeof verifyLedger>>) {
  return v.ok
    ? { ok: true as const, accounts: v.accounts, entries: v.entries }
    : { ok: false as const, firstBroken: { clientId: v.clientId, seq: v.seq.toString(), problem: v.problem } };
}

/** Registers the ledger routes on the /manage plugin. */
export function ledgerRoutes(app: FastifyInstance, deps: ManageDeps): void {
  const read = { preHandler: guard(deps.tokens, "read") };
  app.get("/ledger", read, async (req, reply) => {
    const q = ledgerQuery.safeParse(req.query);
    if (!q.success) return sendInvalid(reply, q.error);
    const before = decodeCursor(q.data.cursor, z.string().regex(/^\d{1,19}$/));
    if (before === null) return sendBadCursor(reply);
    const rows = await listEntries(deps.pool, { clientId: q.data.clientId, beforeId: before, limit: q.data.limit + 1 });
    return page(rows, q.data.limit, (e) => e.id);
  });
  // Walks every chain in one snapshot: an operator check, not a per-request one.
  app.get("/ledger/verify", read, async () => {
    const result = verificationJson(await verifyLedger(deps.pool));
    if (!result.ok) deps.log.error({ firstBroken: result.firstBroken }, "ledger verification failed");
    return result;
  });
}
