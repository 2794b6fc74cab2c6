/**
 * Management auth hardening on two replicas over one Postgres: login throttling (429 + Retry-After,
 * lockout, reset on success) shared by the replicas, logout and revocation by token id seen by the other
 * replica within GATEWAY_REVOCATION_POLL_MS, disabled and deleted operators' tokens refused.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { decodeJwt } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningGateway } from "../../src/app/gateway.js";
import { startStack, type Stack } from "../support/stack.js";
import { api, BOOTSTRAP_TOKEN, bootstrapAdmin, login } from "./helpers.js";

// The window is long so a slow (loaded) machine cannot age failures out mid-test; the lockout short.
const LOCKOUT_SECONDS = 6;
const WINDOW_SECONDS = 600;
const MAX_FAILURES = 5;
const MAX_PER_ADDRESS = 12;
const POLL_MS = 400;
/** the stated delay: one poll interval; the margin covers a loaded machine (one DB read, scheduling) */
const REVOCATION_DELAY_MS = POLL_MS + 2500;

let stack: Stack;
let b: { gw: RunningGateway };
let admin: string;
const ADMIN = "root-admin";
const ADMIN_PASSWORD = "correct horse battery";

beforeAll(async () => {
  stack = await startStack({
    env: {
      GATEWAY_ADMIN_BOOTSTRAP_TOKEN: BOOTSTRAP_TOKEN,
      GATEWAY_LOGIN_LOCKOUT_SECONDS: String(LOCKOUT_SECONDS),
      GATEWAY_LOGIN_WINDOW_SECONDS: String(WINDOW_SECONDS),
      GATEWAY_LOGIN_MAX_FAILURES: String(MAX_FAILURES),
      GATEWAY_LOGIN_MAX_FAILURES_PER_ADDRESS: String(MAX_PER_ADDRESS),
      GATEWAY_REVOCATION_POLL_MS: String(POLL_MS),
      GATEWAY_WATCHER: "false",
    },
  });
  b = { gw: await stack.replica() };
  admin = await bootstrapAdmin(stack, ADMIN, ADMIN_PASSWORD);
});
afterAll(() => stack?.stop());

const tryLogin = (target: { gw: { httpUrl: string } }, username: string, password: string) =>
  api(target, "/manage/auth/login", { method: "POST", body: { username, password } });
const readAccounts = (target: { gw: { httpUrl: string } }, token: string) => api(target, "/manage/accounts", { token });

/** Polls until `fn` is true; resolves the ms it took, or rejects after `limitMs`. */
async function within(limitMs: number, fn: () => Promise<boolean>): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    if (await fn()) return Date.now() - t0;
    if (Date.now() - t0 > limitMs) throw new Error(`not true within ${limitMs} ms`);
    await sleep(50);
  }
}

async function newOperator(username: string, role: "admin" | "viewer" = "viewer"): Promise<string> {
  const res = await api(stack, "/manage/auth/register", {
    method: "POST",
    token: admin,
    body: { username, password: "operator password 1", role },
  });
  expect(res.status).toBe(201);
  return login(stack, username, "operator password 1");
}

describe("login throttling (shared by replicas through Postgres)", () => {
  it("a success resets the count: 3 failures, success, 4 failures are all plain 401s", async () => {
    for (let i = 0; i < 3; i++) expect((await tryLogin(stack, ADMIN, "wrong password")).status).toBe(401);
    expect((await tryLogin(b, ADMIN, ADMIN_PASSWORD)).status).toBe(200);
    for (let i = 0; i < MAX_FAILURES - 1; i++) expect((await tryLogin(i % 2 ? b : stack, ADMIN, "wrong password")).status).toBe(401);
    expect((await tryLogin(stack, ADMIN, ADMIN_PASSWORD)).status).toBe(200);
  });

  it("20 wrong passwords → 429 with Retry-After; the right password is refused on both replicas until the lockout ends", async () => {
    const answers = [];
    for (let i = 0; i < 20; i++) answers.push(await tryLogin(i % 2 ? b : stack, ADMIN, `wrong password ${i}`));
    expect(answers.slice(0, MAX_FAILURES - 1).map((a) => a.status)).toEqual(Array(MAX_FAILURES - 1).fill(401));
    const limited = answers.slice(MAX_FAILURES - 1);
    expect(limited.map((a) => a.status)).toEqual(Array(limited.length).fill(429));
    for (const a of limited) {
      expect(a.body.error).toBe("LOGIN_LOCKED");
      const retry = Number(a.headers.get("retry-after"));
      expect(Number.isInteger(retry)).toBe(true);
      expect(retry).toBeGreaterThanOrEqual(1);
      expect(retry).toBeLessThanOrEqual(LOCKOUT_SECONDS);
    }
    const right = await tryLogin(stack, ADMIN, ADMIN_PASSWORD);
    expect(right.status).toBe(429);
    expect((await tryLogin(b, ADMIN, ADMIN_PASSWORD)).status).toBe(429);
    await sleep(Number(right.headers.get("retry-after")) * 1000 + 300);
    const after = await tryLogin(b, ADMIN, ADMIN_PASSWORD);
    expect(after.status).toBe(200);
  });

  it("failures across many operator names lock the source address, for every operator", async () => {
    const answers = [];
    for (let i = 0; i < MAX_PER_ADDRESS; i++) answers.push((await tryLogin(i % 2 ? b : stack, `sprayed-${i}`, "Winter2026!")).status);
    expect(answers).toEqual([...Array(MAX_PER_ADDRESS - 1).fill(401), 429]);
    const right = await tryLogin(stack, ADMIN, ADMIN_PASSWORD);
    expect(right.status).toBe(429);
    await sleep(Number(right.headers.get("retry-after")) * 1000 + 300);
    admin = (await tryLogin(stack, ADMIN, ADMIN_PASSWORD)).body.token;
    expect(typeof admin).toBe("string");
  });
});

describe("login throttling under parallel guessing", () => {
  it("20 guesses at once: exactly MAX_FAILURES passwords are checked, the rest are 429 without a check", async () => {
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => tryLogin(i % 2 ? b : stack, "parallel-target", `guess ${i}`)));
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses.filter((s) => s === 401)).toHaveLength(MAX_FAILURES - 1);
    expect(statuses.filter((s) => s === 429)).toHaveLength(20 - (MAX_FAILURES - 1));
    expect((await tryLogin(stack, ADMIN, ADMIN_PASSWORD)).status).toBe(200); // another operator is not locked
  });
});

describe("logout and revocation by token id", () => {
  it("login returns the token id; logout revokes the token on this replica at once and on the other within the poll interval", async () => {
    const res = await tryLogin(stack, ADMIN, ADMIN_PASSWORD);
    const token = res.body.token as string;
    expect(res.body.tokenId).toBe(decodeJwt(token).jti);
    expect((await readAccounts(b, token)).status).toBe(200);
    expect((await api(stack, "/manage/auth/logout", { method: "POST", token })).status).toBe(204);
    expect((await readAccounts(stack, token)).status).toBe(401);
    const took = await within(REVOCATION_DELAY_MS, async () => (await readAccounts(b, token)).status === 401);
    expect(took).toBeLessThanOrEqual(REVOCATION_DELAY_MS);
    expect((await readAccounts(b, admin)).status).toBe(200); // other tokens of the operator still work
  });

  it("an admin revokes another token by its id; a viewer may not", async () => {
    const viewer = await newOperator("revoked-viewer");
    const jti = decodeJwt(viewer).jti as string;
    expect((await api(stack, "/manage/auth/revoke", { method: "POST", token: viewer, body: { jti } })).status).toBe(403);
    expect((await api(b, "/manage/auth/revoke", { method: "POST", token: admin, body: { jti } })).status).toBe(204);
    expect((await readAccounts(b, viewer)).status).toBe(401);
    await within(REVOCATION_DELAY_MS, async () => (await readAccounts(stack, viewer)).status === 401);
    expect((await api(stack, "/manage/auth/revoke", { method: "POST", token: admin, body: { jti: "" } })).status).toBe(400);
  });
});

describe("disabled and deleted operators", () => {
  it("a deleted operator's token is refused on both replicas and it cannot log in", async () => {
    const token = await newOperator("short-lived");
    expect((await readAccounts(b, token)).status).toBe(200);
    expect((await api(stack, "/manage/operators/short-lived", { method: "DELETE", token: admin })).status).toBe(204);
    expect((await readAccounts(stack, token)).status).toBe(401);
    await within(REVOCATION_DELAY_MS, async () => (await readAccounts(b, token)).status === 401);
    expect((await tryLogin(b, "short-lived", "operator password 1")).status).toBe(401);
    expect((await api(stack, "/manage/operators/short-lived", { method: "DELETE", token: admin })).status).toBe(404);
    const list = await api(b, "/manage/operators", { token: admin });
    expect(list.body.items.map((o: { username: string }) => o.username)).not.toContain("short-lived");
  });

  it("a disabled operator's tokens are refused and it cannot log in until enabled again", async () => {
    const token = await newOperator("on-leave");
    const disabled = await api(b, "/manage/operators/on-leave/disable", { method: "POST", token: admin });
    expect(disabled).toMatchObject({ status: 200, body: { username: "on-leave", status: "disabled" } });
    expect((await readAccounts(b, token)).status).toBe(401);
    await within(REVOCATION_DELAY_MS, async () => (await readAccounts(stack, token)).status === 401);
    expect((await tryLogin(stack, "on-leave", "operator password 1")).status).toBe(401);
    expect((await api(stack, "/manage/operators/on-leave/enable", { method: "POST", token: admin })).body.status).toBe("enabled");
    await sleep(1100); // a token issued in the same second as the disable is covered by it
    const again = await login(stack, "on-leave", "operator password 1");
    expect((await readAccounts(b, again)).status).toBe(200);
  });

  it("the last enabled admin can be neither disabled nor deleted; with a second admin it can", async () => {
    expect(await api(stack, `/manage/operators/${ADMIN}`, { method: "DELETE", token: admin })).toMatchObject({
      status: 409,
      body: { error: "LAST_ADMIN" },
    });
    expect((await api(stack, `/manage/operators/${ADMIN}/disable`, { method: "POST", token: admin })).status).toBe(409);
    const second = await newOperator("second-admin", "admin");
    expect((await api(stack, `/manage/operators/${ADMIN}/disable`, { method: "POST", token: second })).status).toBe(200);
    expect((await api(stack, "/manage/operators/second-admin", { method: "DELETE", token: second })).status).toBe(409);
    expect((await readAccounts(stack, admin)).status).toBe(401);
  });
});
