/** Small helpers shared by the /manage routes: validation errors, money fields, keyset paging. */
import type { FastifyReply } from "fastify";
import { z } from "zod";
import { formatCoins } from "../money.js";
import { sendError } from "../transport/http/errors.js";

/** 400 INVALID_REQUEST listing every zod issue as `path: message`. */
export function sendInvalid(reply: FastifyReply, error: z.ZodError): FastifyReply {
  return sendError(reply, "INVALID_REQUEST", error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; "));
}

/**
 * Money as the API shows it: `{ <name>: "0.001000", <name>Micro: "1000" }` (decimal NTMPI with 6
 * decimals, and uneutaro as a base-10 string; never a JSON number).
 */
export function money<N extends string>(name: N, micro: bigint): Record<N | `${N}Micro`, string> {
  return { [name]: formatCoins(micro), [`${name}Micro`]: micro.toString() } as Record<N | `${N}Micro`, string>;
}

export const CLIENT_ID = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "client id must be 1-64 characters [A-Za-z0-9_-]");

/** `?limit=` (1-500, default 50) and an opaque `?cursor=` from a previous page's `nextCursor`. */
export const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(512).optional(),
});

/** Opaque cursor: base64url JSON of the last row's sort key. */
export function encodeCursor(key: unknown): string {
  return Buffer.from(JSON.stringify(key), "utf8").toString("base64url");
}

/** Decodes a cursor against `schema`. @returns the key, or null when it is not one of ours */
export function decodeCursor<T>(cursor: string | undefined, schema: z.ZodType<T>): T | null | undefined {
  if (cursor === undefined) return undefined;
  try {
    const parsed = schema.safeParse(JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** A page of results: `nextCursor` is null on the last page. */
export function page<T>(items: T[], limit: number, keyOf: (last: T) => unknown): { items: T[]; nextCursor: string | null } {
  const more = items.length > limit;
  const shown = more ? items.slice(0, limit) : items;
  const last = shown[shown.length - 1];
  return { items: shown, nextCursor: more && last !== undefined ? encodeCursor(keyOf(last)) : null };
}

/** 400 for a cursor we did not issue. */
export function sendBadCursor(reply: FastifyReply): FastifyReply {
  return sendError(reply, "INVALID_REQUEST", "cursor: not a cursor from this endpoint");
}
