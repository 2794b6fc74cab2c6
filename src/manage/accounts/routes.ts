/**
 * /manage/accounts (and the ClawPurse-compatible aliases /manage/wallet): list, create, show with the
 * recent ledger, rotate the key, suspend and resume.
 */
import { randomBytes } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import { createPrepaidAccount } from "../../core/accounts.js";
import { hashClientKey } from "../../core/credentials.js";
import { type AmountFormatError, parseCoins } from "../../money.js";
import { sendError } from "../../transport/http/errors.js";
import { guard } from "../auth/guard.js";
import type { ManageDeps } from "../deps.js";
import { CLIENT_ID, decodeCursor, money, page, pageQuery, sendBadCursor, sendInvalid } from "../http.js";
import { listEntries } from "../ledger/entries.js";
import { getAccountJson, listAccounts, replaceKeyHash, setStatus } from "./queries.js";

export const listAccountsQuery = pageQuery.extend({
  status: z.enum(["active", "suspended"]).optional(),
  /** decimal NTMPI */
  minBalance: z.string().optional(),
  /** uneutaro */
  minBalanceMicro: z
    .string()
    .regex(/^\d{1,19}$/)
    .optional(),
});
const idParams = z.object({ id: CLIENT_ID });
const showQuery = z.object({ entries: z.coerce.number().int().min(0).max(200).default(20) });

function minBalance(q: z.infer<typeof listAccountsQuery>): bigint | undefined | string {
  if (q.minBalanceMicro !== undefined) return BigInt(q.minBalanceMicro);
  if (q.minBalance === undefined) return undefined;
  try {
    return parseCoins(q.minBalance);
  } catch (err) {
    return (err as AmountFormatError).message;
  }
}

async function list(deps: ManageDeps, req: FastifyRequest, reply: FastifyReply) {
  const q = listAccountsQuery.safeParse(req.query);
  if (!q.success) return sendInvalid(reply, q.error);
  const min = minBalance(q.data);
  if (typeof min === "string") return sendError(reply, "INVALID_REQUEST", `minBalance: ${min}`);
  const after = decodeCursor(q.data.cursor, z.string());
  if (after === null) return sendBadCursor(reply);
  const rows = await listAccounts(deps.pool, { status: q.data.status, minBalanceMicro: min, after, limit: q.data.limit + 1 });
  return page(rows, q.data.limit, (a) => a.clientId);
}

async function create(deps: ManageDeps, reply: FastifyReply) {
  const { account, clientKey } = await createPrepaidAccount(deps.store);
  deps.log.info({ clientId: account.clientId }, "prepaid account created by an operator");
  return reply.code(201).send({
    clientId: account.clientId,
    clientKey,
    status: account.status,
    depositMemo: account.depositMemo,
    depositAddress: deps.config.paymentAddress,
    ...money("balance", account.balanceMicro),
    createdAt: account.createdAt.toISOString(),
    note: "clientKey is shown once: store it now.",
  });
}

async function show(deps: ManageDeps, req: FastifyRequest, reply: FastifyReply) {
  const p = idParams.safeParse(req.params);
  const q = showQuery.safeParse(req.query);
  if (!p.success) return sendInvalid(reply, p.error);
  if (!q.success) return sendInvalid(reply, q.error);
  const account = await getAccountJson(deps.pool, p.data.id);
  if (!account) return sendError(reply, "ACCOUNT_NOT_FOUND", `No prepaid account ${p.data.id}`);
  const recentLedger = q.data.entries > 0 ? await listEntries(deps.pool, { clientId: p.data.id, limit: q.data.entries }) : [];
  return { ...account, recentLedger };
}

async function rotateKey(deps: ManageDeps, req: FastifyRequest, reply: FastifyReply) {
  const p = idParams.safeParse(req.params);
  if (!p.success) return sendInvalid(reply, p.error);
  const clientKey = `k_${randomBytes(32).toString("base64url")}`;
  const account = await replaceKeyHash(deps.pool, p.data.id, hashClientKey(clientKey));
  if (!account) return sendError(reply, "ACCOUNT_NOT_FOUND", `No prepaid account ${p.data.id}`);
  deps.log.info({ clientId: p.data.id }, "prepaid client key rotated");
  return { ...account, clientKey, note: "clientKey is shown once; the previous key no longer works." };
}

function statusChange(deps: ManageDeps, status: "active" | "suspended") {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const p = idParams.safeParse(req.params);
    if (!p.success) return sendInvalid(reply, p.error);
    const account = await setStatus(deps.pool, p.data.id, status);
    if (!account) return sendError(reply, "ACCOUNT_NOT_FOUND", `No prepaid account ${p.data.id}`);
    deps.log.info({ clientId: p.data.id, status }, "prepaid account status changed");
    return account;
  };
}

/** Registers the account routes (and /wallet aliases) on the /manage plugin. */
export function accountRoutes(app: FastifyInstance, deps: ManageDeps): void {
  const read = { preHandler: guard(deps.tokens, "read") };
  const write = { preHandler: guard(deps.tokens, "write") };
  for (const base of ["/accounts", "/wallet"]) {
    app.get(base, read, (req, reply) => list(deps, req, reply));
    app.post(base, write, (_req, reply) => create(deps, reply));
    app.get(`${base}/:id`, read, (req, reply) => show(deps, req, reply));
  }
  app.post("/accounts/:id/rotate-key", write, (req, reply) => rotateKey(deps, req, reply));
  app.post("/accounts/:id/suspend", write, statusChange(deps, "suspended"));
  app.post("/accounts/:id/resume", write, statusChange(deps, "active"));
}
