/** GET /manage/payments and GET /manage/revenue. */
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { guard } from "../auth/guard.js";
import type { ManageDeps } from "../deps.js";
import { decodeCursor, encodeCursor, pageQuery, sendBadCursor, sendInvalid } from "../http.js";
import { listPayments } from "./payments.js";
import { revenue } from "./revenue.js";

const instant = z.union([z.iso.date(), z.iso.datetime({ offset: true })]);
export const revenueQuery = z.object({
  /** inclusive; a date means 00:00 UTC; default: the beginning */
  from: instant.optional(),
  /** exclusive; default: now */
  to: instant.optional(),
  /** offer: single | bundle | pass (paid invoices) and prepaid */
  groupBy: z.enum(["route", "day", "offer"]).default("route"),
});
const cursorSchema = z.object({ t: z.string().max(64), h: z.string().max(128) });

const asInstant = (s: string) => (s.length === 10 ? `${s}T00:00:00Z` : s);

/** Registers the reporting routes on the /manage plugin. */
export function reportRoutes(app: FastifyInstance, deps: ManageDeps): void {
  const read = { preHandler: guard(deps.tokens, "read") };
  app.get("/payments", read, async (req, reply) => {
    const q = pageQuery.safeParse(req.query);
    if (!q.success) return sendInvalid(reply, q.error);
    const after = decodeCursor(q.data.cursor, cursorSchema);
    if (after === null) return sendBadCursor(reply);
    const got = await listPayments(deps.pool, after, q.data.limit + 1);
    const more = got.rows.length > q.data.limit;
    const last = got.keys[q.data.limit - 1];
    return { source: got.source, items: got.rows.slice(0, q.data.limit), nextCursor: more && last ? encodeCursor(last) : null };
  });
  app.get("/revenue", read, async (req, reply) => {
    const q = revenueQuery.safeParse(req.query);
    if (!q.success) return sendInvalid(reply, q.error);
    const from = asInstant(q.data.from ?? "1970-01-01");
    const to = q.data.to ? asInstant(q.data.to) : new Date().toISOString();
    return revenue(deps.pool, { from, to, groupBy: q.data.groupBy });
  });
}
