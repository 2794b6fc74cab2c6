/**
 * GET /manage/operators, POST /manage/operators/:username/disable|enable, DELETE /manage/operators/:username.
 * Disabling or deleting an operator also revokes every token it holds (revocations.ts), so it is locked
 * out on every replica within GATEWAY_REVOCATION_POLL_MS. The last enabled admin cannot be removed.
 */
import type { FastifyInstance, FastifyReply } from "fastify";
import { sendError } from "../../transport/http/errors.js";
import type { ManageDeps } from "../deps.js";
import { guard, operatorOf } from "./guard.js";
import { changeOperator, listOperators, type OperatorRecord } from "./operators.js";

const view = (o: OperatorRecord) => ({
  username: o.username,
  role: o.role,
  createdAt: o.createdAt.toISOString(),
  createdBy: o.createdBy,
  status: o.disabledAt === null ? "enabled" : "disabled",
  disabledAt: o.disabledAt?.toISOString() ?? null,
});

export function operatorRoutes(app: FastifyInstance, deps: ManageDeps): void {
  app.get("/operators", { preHandler: guard(deps.tokens, "read") }, async () => ({ items: (await listOperators(deps.pool)).map(view) }));

  const change = async (
    reply: FastifyReply,
    username: string,
    by: string,
    what: "disable" | "enable" | "delete",
  ): Promise<FastifyReply> => {
    const outcome = await changeOperator(deps.pool, username, what);
    if (outcome.kind === "not_found") return sendError(reply, "OPERATOR_NOT_FOUND", "No operator with this username");
    if (outcome.kind === "last_admin") {
      return sendError(reply, "LAST_ADMIN", "This is the last enabled admin: register or enable another admin first");
    }
    if (what !== "enable") await deps.revocations.revokeSubject(username, by, what === "delete" ? "deleted" : "disabled");
    deps.log.warn({ username, by, change: what }, "operator changed");
    return what === "delete" ? reply.code(204).send() : reply.send(view(outcome.operator));
  };
  const usernameOf = (params: unknown) => String((params as { username: string }).username);
  app.post("/operators/:username/disable", { preHandler: guard(deps.tokens, "write") }, (req, reply) =>
    change(reply, usernameOf(req.params), operatorOf(req)!.subject, "disable"),
  );
  app.post("/operators/:username/enable", { preHandler: guard(deps.tokens, "write") }, (req, reply) =>
    change(reply, usernameOf(req.params), operatorOf(req)!.subject, "enable"),
  );
  app.delete("/operators/:username", { preHandler: guard(deps.tokens, "write") }, (req, reply) =>
    change(reply, usernameOf(req.params), operatorOf(req)!.subject, "delete"),
  );
}
