/** Shared helpers for the /manage suites: JSON calls with a bearer token, and the first admin. */
import { expect } from "vitest";
import type { Stack } from "../support/stack.js";

export const BOOTSTRAP_TOKEN = "bootstrap-0123456789abcdef0123456789";
export const JWT_SECRET = "test-jwt-secret-0123456789abcdef0123456789abcd"; // test/support/stack.ts

export interface Call {
  method?: string;
  body?: unknown;
  token?: string;
  headers?: Record<string, string>;
}
export interface Answer {
  status: number;
  body: any;
  headers: Headers;
}

/** One JSON request against the stack's HTTP API (or a replica's: `{ gw: replica }`). */
export async function api(stack: Pick<Stack, "gw"> | { gw: { httpUrl: string } }, path: string, c: Call = {}): Promise<Answer> {
  const headers: Record<string, string> = { ...c.headers };
  if (c.body !== undefined) headers["content-type"] = "application/json";
  if (c.token) headers["authorization"] = `Bearer ${c.token}`;
  const res = await fetch(`${stack.gw.httpUrl}${path}`, {
    method: c.method ?? "GET",
    headers,
    body: c.body === undefined ? undefined : JSON.stringify(c.body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
}

/** Logs in and returns the bearer token. */
export async function login(stack: Pick<Stack, "gw"> | { gw: { httpUrl: string } }, username: string, password: string): Promise<string> {
  const res = await api(stack, "/manage/auth/login", { method: "POST", body: { username, password } });
  expect(res.status).toBe(200);
  return res.body.token;
}

/** Registers the first admin with the bootstrap token and logs in. */
export async function bootstrapAdmin(stack: Stack, username = "root-admin", password = "correct horse battery"): Promise<string> {
  const res = await api(stack, "/manage/auth/register", {
    method: "POST",
    body: { username, password },
    headers: { "x-bootstrap-token": BOOTSTRAP_TOKEN },
  });
  expect(res.status).toBe(201);
  return login(stack, username, password);
}

/** Creates a prepaid account through /manage. */
export async function newAccount(
  stack: Stack,
  token: string,
): Promise<{ clientId: string; clientKey: string; depositMemo: string; depositAddress: string }> {
  const res = await api(stack, "/manage/accounts", { method: "POST", token });
  expect(res.status).toBe(201);
  return res.body;
}

let keys = 0;
/** A fresh Idempotency-Key. */
export const idemKey = () => `test-${process.pid}-${Date.now()}-${++keys}`;

/** POST /manage/transactions with a fresh (or the given) Idempotency-Key. */
export function transact(stack: Stack, token: string, body: unknown, key = idemKey()): Promise<Answer> {
  return api(stack, "/manage/transactions", { method: "POST", token, body, headers: { "idempotency-key": key } });
}
