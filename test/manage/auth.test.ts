import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { decodeJwt, decodeProtectedHeader, exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStack, type Stack } from "../support/stack.js";
import { api, BOOTSTRAP_TOKEN, JWT_SECRET, login } from "./helpers.js";

const OIDC_ISSUER = "https://idp.test.example";
const OIDC_AUDIENCE = "gate402-test";
let stack: Stack;
let jwks: Server;
let idpKey: CryptoKey;
let idpPublicPem: string;
let admin: string;

beforeAll(async () => {
  const pair = await generateKeyPair("RS256", { extractable: true });
  idpKey = pair.privateKey;
  idpPublicPem = await exportSPKI(pair.publicKey);
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: "k1", alg: "RS256", use: "sig" };
  jwks = createServer((_req, res) => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: [jwk] })));
  await new Promise<void>((r) => jwks.listen(0, "127.0.0.1", r));
  stack = await startStack({
    env: {
      GATEWAY_ADMIN_BOOTSTRAP_TOKEN: BOOTSTRAP_TOKEN,
      GATEWAY_OIDC_ISSUER: OIDC_ISSUER,
      GATEWAY_OIDC_AUDIENCE: OIDC_AUDIENCE,
      GATEWAY_OIDC_JWKS_URL: `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`,
    },
  });
});
afterAll(async () => {
  await stack?.stop();
  await new Promise((r) => jwks?.close(r));
});

const now = () => Math.floor(Date.now() / 1000);
const localClaims = (over: JWTPayload = {}): JWTPayload => ({
  iss: "gate402",
  aud: "gate402-manage",
  sub: "root-admin",
  role: "admin",
  iat: now(),
  exp: now() + 600,
  ...over,
});
const hs256 = (claims: JWTPayload, secret: string | Uint8Array = JWT_SECRET) =>
  new SignJWT(claims).setProtectedHeader({ alg: "HS256" }).sign(typeof secret === "string" ? new TextEncoder().encode(secret) : secret);
const oidcToken = (claims: JWTPayload, key: CryptoKey = idpKey) =>
  new SignJWT({ iss: OIDC_ISSUER, aud: OIDC_AUDIENCE, sub: "alice@idp", iat: now(), exp: now() + 600, ...claims })
    .setProtectedHeader({ alg: "RS256", kid: "k1" })
    .sign(key);
const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
const readAccounts = (token: string) => api(stack, "/manage/accounts", { token });

describe("first-admin bootstrap", () => {
  it("refuses a wrong bootstrap token and a registration without any credential", async () => {
    const wrong = await api(stack, "/manage/auth/register", {
      method: "POST",
      body: { username: "mallory", password: "long enough password" },
      headers: { "x-bootstrap-token": "x".repeat(36) },
    });
    expect(wrong).toMatchObject({ status: 401, body: { error: "UNAUTHORIZED" } });
    const none = await api(stack, "/manage/auth/register", {
      method: "POST",
      body: { username: "mallory", password: "long enough password" },
    });
    expect(none.status).toBe(401);
  });

  it("works exactly once, even for 6 racing requests; afterwards it is refused", async () => {
    const race = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        api(stack, "/manage/auth/register", {
          method: "POST",
          body: { username: `first-${i}`, password: "correct horse battery", bootstrapToken: BOOTSTRAP_TOKEN },
        }),
      ),
    );
    const created = race.filter((r) => r.status === 201);
    expect(created).toHaveLength(1);
    expect(race.filter((r) => r.status === 403).every((r) => r.body.error === "BOOTSTRAP_CLOSED")).toBe(true);
    expect(created[0]!.body).toMatchObject({ role: "admin", createdBy: "bootstrap" });
    admin = await login(stack, created[0]!.body.username, "correct horse battery");
    const again = await api(stack, "/manage/auth/register", {
      method: "POST",
      body: { username: "second-admin", password: "correct horse battery" },
      headers: { "x-bootstrap-token": BOOTSTRAP_TOKEN },
    });
    expect(again).toMatchObject({ status: 403, body: { error: "BOOTSTRAP_CLOSED" } });
  });
});

describe("login", () => {
  it("issues a 15-minute HS256 token with iss gate402, aud gate402-manage, sub and role", () => {
    expect(decodeProtectedHeader(admin).alg).toBe("HS256");
    const claims = decodeJwt(admin);
    expect(claims).toMatchObject({ iss: "gate402", aud: "gate402-manage", role: "admin" });
    expect(claims.sub).toMatch(/^first-\d$/);
    expect(claims.exp! - claims.iat!).toBe(900);
  });

  it("a wrong password and an unknown user are the same 401", async () => {
    const sub = decodeJwt(admin).sub!;
    const bad = await api(stack, "/manage/auth/login", { method: "POST", body: { username: sub, password: "wrong password!" } });
    const unknown = await api(stack, "/manage/auth/login", { method: "POST", body: { username: "nobody", password: "wrong password!" } });
    expect(bad).toMatchObject({ status: 401, body: { error: "INVALID_CREDENTIALS" } });
    expect(unknown.body).toEqual(bad.body);
  });
});

describe("roles", () => {
  it("an admin registers a viewer, who reads but gets 403 FORBIDDEN on every write", async () => {
    const reg = await api(stack, "/manage/auth/register", {
      method: "POST",
      token: admin,
      body: { username: "auditor", password: "viewer password 1", role: "viewer" },
    });
    expect(reg).toMatchObject({ status: 201, body: { role: "viewer" } });
    const viewer = await login(stack, "auditor", "viewer password 1");
    for (const path of [
      "/manage/accounts",
      "/manage/ledger",
      "/manage/ledger/verify",
      "/manage/payments",
      "/manage/revenue",
      "/manage/routes",
    ]) {
      expect((await api(stack, path, { token: viewer })).status, path).toBe(200);
    }
    const acct = (await api(stack, "/manage/accounts", { method: "POST", token: admin })).body.clientId;
    const writes: [string, unknown?][] = [
      ["/manage/accounts"],
      ["/manage/wallet"],
      [`/manage/accounts/${acct}/suspend`],
      [`/manage/accounts/${acct}/resume`],
      [`/manage/accounts/${acct}/rotate-key`],
      ["/manage/routes/reload"],
      ["/manage/transactions", { kind: "credit", clientId: acct, amount: "1", reason: "viewer tries" }],
    ];
    for (const [path, body] of writes) {
      const res = await api(stack, path, { method: "POST", token: viewer, body, headers: { "idempotency-key": "viewer-1" } });
      expect(res, path).toMatchObject({ status: 403, body: { error: "FORBIDDEN" } });
    }
    const reg2 = await api(stack, "/manage/auth/register", {
      method: "POST",
      token: viewer,
      body: { username: "escalate", password: "viewer password 1", role: "admin" },
    });
    expect(reg2.status).toBe(403);
    expect((await api(stack, `/manage/accounts/${acct}`, { token: admin })).body.balanceMicro).toBe("0");
  });

  it("every /manage route but login, register and openapi.json needs a token", async () => {
    expect((await api(stack, "/manage/accounts")).status).toBe(401);
    expect((await api(stack, "/manage/ledger/verify")).status).toBe(401);
    expect((await api(stack, "/manage/openapi.json")).status).toBe(200);
  });
});

describe("token attacks are refused with 401", () => {
  it("alg none", async () => {
    const token = `${b64({ alg: "none", typ: "JWT" })}.${b64(localClaims())}.`;
    expect((await readAccounts(token)).status).toBe(401);
    const oidcNone = `${b64({ alg: "none" })}.${b64({ iss: OIDC_ISSUER, aud: OIDC_AUDIENCE, sub: "x", exp: now() + 60, gate402_role: "admin" })}.`;
    expect((await readAccounts(oidcNone)).status).toBe(401);
  });

  it("HS256 signed with the identity provider's RSA public key as the secret (algorithm confusion)", async () => {
    const asOidc = await hs256(
      { iss: OIDC_ISSUER, aud: OIDC_AUDIENCE, sub: "x", iat: now(), exp: now() + 600, gate402_role: "admin" },
      new TextEncoder().encode(idpPublicPem),
    );
    expect((await readAccounts(asOidc)).status).toBe(401);
    const asLocal = await hs256(localClaims(), new TextEncoder().encode(idpPublicPem));
    expect((await readAccounts(asLocal)).status).toBe(401);
  });

  it("expired", async () => {
    expect((await readAccounts(await hs256(localClaims({ iat: now() - 3600, exp: now() - 60 })))).status).toBe(401);
    expect((await readAccounts(await oidcToken({ gate402_role: "admin", iat: now() - 3600, exp: now() - 60 }))).status).toBe(401);
  });

  it("not yet valid", async () => {
    expect((await readAccounts(await hs256(localClaims({ nbf: now() + 3600 })))).status).toBe(401);
    expect((await readAccounts(await oidcToken({ gate402_role: "admin", nbf: now() + 3600 }))).status).toBe(401);
  });

  it("wrong issuer", async () => {
    expect((await readAccounts(await hs256(localClaims({ iss: "someone-else" })))).status).toBe(401);
    expect((await readAccounts(await oidcToken({ gate402_role: "admin", iss: "https://evil.example" }))).status).toBe(401);
  });

  it("wrong audience", async () => {
    expect((await readAccounts(await hs256(localClaims({ aud: "another-service" })))).status).toBe(401);
    expect((await readAccounts(await oidcToken({ gate402_role: "admin", aud: "another-service" }))).status).toBe(401);
  });

  it("wrong key: another HS secret, another RSA key, a lifetime beyond 15 minutes", async () => {
    expect((await readAccounts(await hs256(localClaims(), "another-secret-0123456789abcdef0123456789"))).status).toBe(401);
    const other = await generateKeyPair("RS256");
    expect((await readAccounts(await oidcToken({ gate402_role: "admin" }, other.privateKey))).status).toBe(401);
    expect((await readAccounts(await hs256(localClaims({ iat: now() - 3600, exp: now() + 600 })))).status).toBe(401);
  });

  it("a well-formed local token still works (the attacks fail for their flaw, not by accident)", async () => {
    expect((await readAccounts(await hs256(localClaims()))).status).toBe(200);
  });
});

describe("OIDC tokens from the configured issuer (JWKS on 127.0.0.1)", () => {
  it("gate402_role admin may write; roles [viewer] may only read; no role is 403", async () => {
    const oidcAdmin = await oidcToken({ gate402_role: "admin" });
    expect((await api(stack, "/manage/accounts", { method: "POST", token: oidcAdmin })).status).toBe(201);
    const oidcViewer = await oidcToken({ roles: ["staff", "viewer"] });
    expect((await readAccounts(oidcViewer)).status).toBe(200);
    expect((await api(stack, "/manage/accounts", { method: "POST", token: oidcViewer })).status).toBe(403);
    const noRole = await oidcToken({});
    expect(await readAccounts(noRole)).toMatchObject({ status: 403, body: { error: "FORBIDDEN" } });
  });
});
