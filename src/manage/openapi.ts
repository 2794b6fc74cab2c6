/**
 * The OpenAPI 3.1 description of /manage, served at GET /manage/openapi.json. Request bodies and query
 * parameters come from the same zod schemas the handlers validate with (z.toJSONSchema), so the
 * document cannot drift from what is accepted; error responses name catalogue codes with their meaning.
 */
import { z } from "zod";
import { API_ERRORS, type ApiErrorCode } from "../core/catalogue.js";
import { listAccountsQuery } from "./accounts/routes.js";
import { loginBody, registerBody, revokeBody } from "./auth/routes.js";
import type { Access } from "./auth/guard.js";
import { pageQuery } from "./http.js";
import { ledgerQuery } from "./ledger/routes.js";
import { revokePassBody } from "./passes/routes.js";
import { revenueQuery } from "./reports/routes.js";
import { transactionBody } from "./transactions/request.js";

type Json = Record<string, unknown>;
const schema = (s: z.ZodType): Json => z.toJSONSchema(s, { io: "input", unrepresentable: "any" }) as Json;
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (description: string, s: Json = { type: "object" }) => ({ description, content: { "application/json": { schema: s } } });
/** An error response: the codes it may carry, each with its meaning from the catalogue (src/core/catalogue.ts). */
const err = (...codes: ApiErrorCode[]) => json(codes.map((c) => `${c}: ${API_ERRORS[c].meaning}`).join(" | "), ref("Error"));

function queryParams(s: z.ZodObject): Json[] {
  const js = schema(s) as { properties?: Record<string, Json>; required?: string[] };
  return Object.entries(js.properties ?? {}).map(([name, p]) => ({
    name,
    in: "query",
    required: js.required?.includes(name) ?? false,
    schema: p,
  }));
}
const pathParam = (name: string, description: string) => ({ name, in: "path", required: true, description, schema: { type: "string" } });

interface OpSpec {
  summary: string;
  access: Access;
  ok?: Json;
  body?: z.ZodType;
  query?: z.ZodObject;
  params?: Json[];
  headers?: Json[];
  extra?: Json;
}

function op(s: OpSpec): Json {
  const responses: Json = { "200": s.ok ?? json("OK"), "400": err("INVALID_REQUEST"), "503": err("STORE_UNAVAILABLE"), ...s.extra };
  if (s.access !== "public") Object.assign(responses, { "401": err("UNAUTHORIZED") });
  if (s.access === "write") Object.assign(responses, { "403": err("FORBIDDEN") });
  return {
    summary: s.summary,
    security: s.access === "public" ? [] : [{ bearer: [] }],
    "x-gate402-access": s.access,
    parameters: [...(s.params ?? []), ...(s.query ? queryParams(s.query) : []), ...(s.headers ?? [])],
    ...(s.body ? { requestBody: { required: true, content: { "application/json": { schema: schema(s.body) } } } } : {}),
    responses,
  };
}

const id = pathParam("id", "prepaid client id");
const paged = (item: string) =>
  json("A page", { type: "object", properties: { items: { type: "array", items: ref(item) }, nextCursor: { type: ["string", "null"] } } });
const accountOps = (alias: boolean) => ({
  get: op({
    summary: alias ? "List accounts (ClawPurse alias)" : "List prepaid accounts (paged; status, minBalance filters)",
    access: "read",
    query: listAccountsQuery,
    ok: paged("Account"),
  }),
  post: op({
    summary: alias ? "Create an account (ClawPurse alias)" : "Create a prepaid account; clientKey shown once",
    access: "write",
    ok: json("Created"),
    extra: { "201": json("Created", ref("Account")) },
  }),
});
const showOp = (alias: boolean) => ({
  get: op({
    summary: alias ? "Show an account (ClawPurse alias)" : "Account with balance and recent ledger",
    access: "read",
    params: [id],
    extra: { "404": err("ACCOUNT_NOT_FOUND") },
  }),
});
const accountAction = (summary: string) => ({
  post: op({ summary, access: "write", params: [id], ok: json("OK", ref("Account")), extra: { "404": err("ACCOUNT_NOT_FOUND") } }),
});

// The account's open usage period (migration 0011), or null.
/** Balances in assets other than the primary one (migration 0012). */
const assetBalances = {
  type: "array",
  description: "balances in assets other than the primary one",
  items: { type: "object", properties: { network: { type: "string" }, denom: { type: "string" }, amountMicro: { type: "string" } } },
};

const openUsage = {
  type: ["object", "null"],
  description: "open usage period: calls, total, totalMicro, since, lastCallAt (in the balance; in the ledger once it closes)",
};

/** The document (built once). */
export function openApiDocument(version: string): Json {
  const money = { type: "string", pattern: "^-?\\d+\\.\\d{6}$", description: "decimal NTMPI, 6 decimals" };
  const micro = { type: "string", pattern: "^-?\\d+$", description: "uneutaro" };
  return {
    openapi: "3.1.0",
    info: {
      title: "gate402 management API",
      version,
      description:
        "Operators manage prepaid accounts, money movements, the ledger and the route table. Money: decimal NTMPI strings plus uneutaro strings (*Micro).",
    },
    components: {
      securitySchemes: {
        bearer: {
          type: "http",
          scheme: "bearer",
          bearerFormat: "JWT",
          description:
            "POST /manage/auth/login (HS256, 15 min, revocable: POST /manage/auth/logout) or an OIDC token when configured. With GATEWAY_TLS_MANAGE_CLIENT_CERT every /manage request also needs a TLS client certificate from the configured CA (else 401 CLIENT_CERTIFICATE_REQUIRED)",
        },
      },
      schemas: {
        Error: { type: "object", required: ["error", "message"], properties: { error: { type: "string" }, message: { type: "string" } } },
        Account: {
          type: "object",
          properties: {
            clientId: { type: "string" },
            status: { enum: ["active", "suspended"] },
            balance: money,
            balanceMicro: micro,
            balances: assetBalances,
            depositMemo: { type: "string" },
            openUsage,
            createdAt: { type: "string", format: "date-time" },
          },
        },
        LedgerEntry: {
          type: "object",
          properties: {
            id: { type: "string" },
            clientId: { type: "string" },
            seq: { type: "string" },
            kind: { type: "string" },
            amount: money,
            amountMicro: micro,
            balanceAfter: money,
            balanceAfterMicro: micro,
            hash: { type: "string" },
            prevHash: { type: "string" },
          },
        },
      },
    },
    paths: {
      "/manage/auth/login": {
        post: op({
          summary:
            "Exchange username and password for a 15-minute JWT (no refresh token: log in again). " +
            "Throttled per operator and per source address",
          access: "public",
          body: loginBody,
          extra: {
            "401": err("INVALID_CREDENTIALS"),
            "429": { ...err("LOGIN_LOCKED"), headers: { "Retry-After": { schema: { type: "integer" } } } },
          },
        }),
      },
      "/manage/auth/logout": {
        post: op({
          summary: "Revoke the presented token on every replica (within GATEWAY_REVOCATION_POLL_MS)",
          access: "read",
          extra: { "204": { description: "Revoked" }, "400": err("NOT_REVOCABLE") },
        }),
      },
      "/manage/auth/revoke": {
        post: op({
          summary: "Revoke a token by its id (jti, returned by login as tokenId) on every replica",
          access: "write",
          body: revokeBody,
          extra: { "204": { description: "Revoked" } },
        }),
      },
      "/manage/operators": { get: op({ summary: "List operators with role and status (enabled | disabled)", access: "read" }) },
      "/manage/operators/{username}/disable": {
        post: op({
          summary: "Disable an operator: no login, every token it holds revoked",
          access: "write",
          params: [pathParam("username", "operator")],
          extra: { "404": err("OPERATOR_NOT_FOUND"), "409": err("LAST_ADMIN") },
        }),
      },
      "/manage/operators/{username}/enable": {
        post: op({
          summary: "Enable a disabled operator (it logs in again)",
          access: "write",
          params: [pathParam("username", "operator")],
          extra: { "404": err("OPERATOR_NOT_FOUND") },
        }),
      },
      "/manage/operators/{username}": {
        delete: op({
          summary: "Delete an operator; every token it holds is revoked",
          access: "write",
          params: [pathParam("username", "operator")],
          extra: { "204": { description: "Deleted" }, "404": err("OPERATOR_NOT_FOUND"), "409": err("LAST_ADMIN") },
        }),
      },
      "/manage/auth/register": {
        post: op({
          summary: "Register an operator: the first admin with the bootstrap token (header X-Bootstrap-Token or body), later by an admin",
          access: "public",
          body: registerBody,
          headers: [{ name: "X-Bootstrap-Token", in: "header", required: false, schema: { type: "string" } }],
          extra: {
            "201": json("Created"),
            "401": err("UNAUTHORIZED"),
            "403": err("FORBIDDEN", "BOOTSTRAP_CLOSED", "BOOTSTRAP_DISABLED"),
            "409": err("OPERATOR_EXISTS"),
          },
        }),
      },
      "/manage/accounts": accountOps(false),
      "/manage/wallet": accountOps(true),
      "/manage/accounts/{id}": showOp(false),
      "/manage/wallet/{id}": showOp(true),
      "/manage/accounts/{id}/rotate-key": accountAction("Replace the client key; the new key is shown once"),
      "/manage/accounts/{id}/suspend": accountAction("Suspend: Check answers 403 ACCOUNT_SUSPENDED"),
      "/manage/accounts/{id}/resume": accountAction("Resume a suspended account"),
      "/manage/transactions": {
        post: op({
          summary: "Credit, refund, adjust or transfer (Idempotency-Key required; same key + same body replays, other body 409)",
          access: "write",
          body: transactionBody,
          headers: [{ name: "Idempotency-Key", in: "header", required: true, schema: { type: "string", maxLength: 255 } }],
          extra: {
            "201": json("Applied"),
            "404": err("ACCOUNT_NOT_FOUND"),
            "409": err("IDEMPOTENCY_CONFLICT"),
            "422": err("INSUFFICIENT_BALANCE"),
          },
        }),
      },
      "/manage/transactions/{id}": {
        get: op({
          summary: "A stored operator transaction and its answer",
          access: "read",
          params: [pathParam("id", "transaction id")],
          extra: { "404": err("TRANSACTION_NOT_FOUND") },
        }),
      },
      "/manage/ledger": {
        get: op({
          summary: "Ledger entries, newest first (paged; clientId filter)",
          access: "read",
          query: ledgerQuery,
          ok: paged("LedgerEntry"),
        }),
      },
      "/manage/ledger/verify": { get: op({ summary: "Walk every hash chain: ok, or the first broken entry", access: "read" }) },
      "/manage/payments": {
        get: op({
          summary: "Payments received, newest first (watcher's payments table, else redemptions and deposits)",
          access: "read",
          query: pageQuery,
        }),
      },
      "/manage/revenue": {
        get: op({ summary: "Revenue (prepaid debits + paid invoices) by route or day", access: "read", query: revenueQuery }),
      },
      "/manage/routes": { get: op({ summary: "The effective route/price table and the last reload", access: "read" }) },
      "/manage/routes/reload": {
        post: op({
          summary: "Reload GATEWAY_ROUTES_FILE now (invalid: old table kept)",
          access: "write",
          extra: { "422": err("ROUTES_INVALID") },
        }),
      },
      "/manage/passes/revoke": {
        post: op({
          summary: "Revoke a pass by jti (its invoice id): every replica refuses it within seconds",
          access: "write",
          body: revokePassBody,
          extra: { "201": json("Revoked"), "404": err("NOT_FOUND") },
        }),
      },
      "/manage/openapi.json": { get: op({ summary: "This document", access: "public" }) },
    },
  };
}
