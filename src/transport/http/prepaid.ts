import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { createPrepaidAccount } from "../../core/accounts.js";
import { parseCredentials } from "../../core/credentials.js";
import { creditDeposit, type DepositNetwork } from "../../core/deposit.js";
import { formatCoins } from "../../money.js";
import type { PrepaidAccount } from "../../ports/store.js";
import type { HttpDeps } from "./deps.js";
import { sendApiError, sendError } from "./errors.js";
import { signupGuard } from "./signup.js";

const depositBody = z
  .object({
    clientId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
    txHash: z.string().regex(/^[0-9a-fA-F]{64}$/, "txHash must be 64 hex characters"),
  })
  .strict();

const money = (micro: bigint) => ({ balance: formatCoins(micro), balanceMicro: micro.toString() });

/** Balances in the assets other than the primary one (migration 0012), beside the primary's `balance`/`balanceMicro`. */
const otherBalances = (account: PrepaidAccount | null) =>
  (account?.balances ?? []).map((b) => ({ network: b.network, denom: b.denom, amountMicro: b.balanceMicro.toString() }));

/** Prepaid accounts: create (key shown once; who may: GATEWAY_PREPAID_SIGNUP, signup.ts), credit an on-chain deposit, read a balance (needs the key). */
export function prepaidRoutes(app: FastifyInstance, deps: HttpDeps): void {
  const { config } = deps;
  const mayCreate = signupGuard(config.prepaidSignup, deps.clock);
  app.post("/prepaid/accounts", async (req, reply) => {
    const refusal = mayCreate(req);
    if (refusal) {
      if (refusal.retryAfterSeconds !== undefined) reply.header("retry-after", String(refusal.retryAfterSeconds));
      return sendApiError(reply, refusal.answer);
    }
    const { account, clientKey } = await createPrepaidAccount(deps.store);
    deps.log.info({ clientId: account.clientId }, "prepaid account created");
    return reply.code(201).send({
      clientId: account.clientId,
      clientKey,
      depositMemo: account.depositMemo,
      depositAddress: config.paymentAddress,
      denom: config.denom,
      network: config.network,
      ...money(account.balanceMicro),
      note: "Store clientKey now: it is shown once. Send NTMPI to depositAddress with depositMemo as memo, then POST /prepaid/deposit.",
    });
  });

  app.post("/prepaid/deposit", async (req, reply) => {
    const parsed = depositBody.safeParse(req.body);
    if (!parsed.success) {
      return sendError(reply, "INVALID_REQUEST", parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
    }
    const { clientId, txHash } = parsed.data;
    const res = await creditDeposit(
      {
        chain: deps.chain,
        store: deps.store,
        payTo: config.paymentAddress,
        denom: config.denom,
        minConfirmations: config.minConfirmations,
        networks: depositNetworks(deps),
      },
      clientId,
      txHash,
    );
    if (res.kind === "refused") {
      deps.metrics.payments.inc({ kind: "deposit", result: "rejected", reason: res.body.error });
      return sendApiError(reply, res);
    }
    if (!res.replayed) {
      deps.metrics.payments.inc({ kind: "deposit", result: "accepted", reason: "none" });
      const fields = { clientId, txHash: txHash.toUpperCase(), amountMicro: res.amountMicro.toString(), denom: res.asset.denom };
      deps.log.info(fields, "deposit credited");
    }
    // `balance`/`balanceMicro` keep meaning the primary asset; `network`/`denom` name what this deposit credited.
    const account = res.asset.primary ? null : await deps.store.getAccount(clientId);
    return {
      clientId,
      txHash: txHash.toUpperCase(),
      credited: !res.replayed,
      amountMicro: res.amountMicro.toString(),
      network: res.asset.network,
      denom: res.asset.denom,
      ...money(res.asset.primary ? res.balanceMicro : (account?.balanceMicro ?? 0n)),
      ...(res.asset.primary ? {} : { balances: otherBalances(account) }),
    };
  });

  app.get<{ Params: { clientId: string } }>("/prepaid/balance/:clientId", async (req, reply) => {
    const headers = { ...(req.headers as Record<string, string>), "x-client-id": req.params.clientId };
    const creds = parseCredentials(headers);
    if (creds.kind !== "credentials") {
      return sendError(reply, "INVALID_CLIENT_CREDENTIALS", "Send the client key: X-Client-Key or Authorization: Bearer <key>");
    }
    const known = await deps.store.checkKey(creds.clientId, creds.keyHash);
    if (!known) return sendError(reply, "INVALID_CLIENT_CREDENTIALS", "Unknown client id or wrong key");
    const account = await deps.store.getAccount(creds.clientId);
    if (!account) return sendError(reply, "INVALID_CLIENT_CREDENTIALS", "Unknown client id or wrong key");
    return {
      clientId: account.clientId,
      status: account.status,
      depositMemo: account.depositMemo,
      ...money(account.balanceMicro),
      balances: otherBalances(account),
    };
  });
}

/** Every configured network with its chain and assets, the primary first (deposits are credited per asset). */
function depositNetworks(deps: HttpDeps): DepositNetwork[] {
  const { config } = deps;
  return config.networks
    .flatMap((n) => {
      const chain = n.primary ? deps.chain : deps.chainFor?.(n.id);
      if (!chain) return [];
      const listed = config.assets
        .filter((a) => a.network === n.id)
        .map((a) => ({ network: a.network, denom: a.denom, primary: a.primary }));
      const assets = listed.length > 0 ? listed : [{ network: n.id, denom: n.primary ? config.denom : n.denom, primary: n.primary }];
      return [{ chain, payTo: n.payTo, minConfirmations: n.minConfirmations, assets }];
    })
    .sort((a, b) => Number(b.assets.some((x) => x.primary)) - Number(a.assets.some((x) => x.primary)));
}
