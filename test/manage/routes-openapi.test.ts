import { mkdtempSync, rmSync, writeFileSync, renameSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RouteOptions } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { manageExtension } from "../../src/manage/extension.js";
import { checkClient, type ExtAuthzClient } from "../support/extauthz-client.js";
import { deniedBody, envoyCheck } from "../support/check-request.js";
import { startStack, type Stack } from "../support/stack.js";
import { api, BOOTSTRAP_TOKEN, bootstrapAdmin } from "./helpers.js";

let stack: Stack;
let client: ExtAuthzClient;
let admin: string;
let dir: string;
let file: string;
const registered: { method: string; url: string }[] = [];

const yaml = (price: string) =>
  `routes:\n  - id: search\n    method: GET\n    pattern: /api/search/*\n    price: "${price}"\n  - pattern: /api/free/*\n    free: true\n`;

/** Writes like an editor: a temp file renamed over the old one. */
function writeRoutes(text: string): void {
  writeFileSync(`${file}.tmp`, text);
  renameSync(`${file}.tmp`, file);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "gate402-routes-"));
  file = join(dir, "routes.yaml");
  writeFileSync(file, yaml("0.002"));
  stack = await startStack({
    env: { GATEWAY_ADMIN_BOOTSTRAP_TOKEN: BOOTSTRAP_TOKEN, GATEWAY_ROUTES_FILE: file, GATEWAY_ROUTES: "/api/env/*=0.5" },
    start: {
      extensions: [
        (ctx) =>
          void ctx.http.addHook("onRoute", (r: RouteOptions) => {
            for (const m of [r.method].flat()) registered.push({ method: String(m), url: r.url });
          }),
        manageExtension(),
      ],
      routeReloadDebounceMs: 50,
    },
  });
  client = checkClient(`127.0.0.1:${stack.gw.grpcPort}`);
  admin = await bootstrapAdmin(stack);
});
afterAll(async () => {
  client?.close();
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const table = async () => (await api(stack, "/manage/routes", { token: admin })).body;
const searchPrice = async () => deniedBody(await client.check(envoyCheck({ path: "/api/search/q" }))).payment.amountMicro;

async function until<T>(probe: () => Promise<T>, ok: (v: T) => boolean, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (ok(v) || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("route table at run time", () => {
  it("GET /manage/routes shows the effective table with prices and sources", async () => {
    const t = await table();
    expect(t.routes).toEqual([
      { id: "search", method: "GET", pattern: "/api/search/*", price: "0.002000", priceMicro: "2000", free: false, source: "file" },
      { id: "/api/free/*", method: null, pattern: "/api/free/*", price: "0.000000", priceMicro: "0", free: true, source: "file" },
      { id: "/api/env/*", method: null, pattern: "/api/env/*", price: "0.500000", priceMicro: "500000", free: false, source: "env" },
    ]);
    expect(t.default).toMatchObject({ price: "0.001000", priceMicro: "1000" });
    expect(await searchPrice()).toBe("2000");
  });

  it("a valid change of the file is applied (seen by GET /manage/routes and by Check), env rules kept", async () => {
    writeRoutes(yaml("0.003"));
    const t = await until(table, (v) => v.routes[0].priceMicro === "3000");
    expect(t.routes[0].priceMicro).toBe("3000");
    expect(t.routes.map((r: any) => r.source)).toEqual(["file", "file", "env"]);
    expect(t.lastReload).toMatchObject({ ok: true });
    expect(await searchPrice()).toBe("3000");
  });

  it("an invalid file is refused: the old table stays and the reason is shown", async () => {
    writeRoutes(yaml("0.0000001")); // 7 decimals
    const t = await until(table, (v) => v.lastReload?.ok === false);
    expect(t.lastReload.ok).toBe(false);
    expect(t.lastReload.problems.join(" ")).toMatch(/more than 6 decimals/);
    expect(t.routes[0].priceMicro).toBe("3000");
    expect(await searchPrice()).toBe("3000");
    writeRoutes("routes: [ {pattern: nope");
    await until(table, (v) => /YAML/.test(v.lastReload?.problems?.join(" ") ?? ""));
    expect(await searchPrice()).toBe("3000");
  });

  it("SIGHUP and POST /manage/routes/reload reload the file too", async () => {
    writeFileSync(file, yaml("0.004")); // written in place; the watcher may see it as well
    process.kill(process.pid, "SIGHUP");
    await until(searchPrice, (p) => p === "4000");
    expect(await searchPrice()).toBe("4000");
    writeFileSync(file, "routes: 12");
    const res = await api(stack, "/manage/routes/reload", { method: "POST", token: admin });
    expect(res).toMatchObject({ status: 422, body: { error: "ROUTES_INVALID" } });
    expect(await searchPrice()).toBe("4000");
  });
});

describe("OpenAPI", () => {
  it("is a 3.1 document that describes every registered /manage route", async () => {
    const doc = (await api(stack, "/manage/openapi.json")).body;
    expect(doc.openapi).toBe("3.1.0");
    const manage = registered.filter((r) => r.url.startsWith("/manage") && r.method !== "HEAD");
    expect(manage.length).toBeGreaterThanOrEqual(20);
    const missing = manage.filter((r) => {
      const path = r.url.replace(/:([A-Za-z]+)/g, "{$1}");
      return !doc.paths[path]?.[r.method.toLowerCase()];
    });
    expect(missing).toEqual([]);
    const documented = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops as object).map((m) => `${m.toUpperCase()} ${p}`));
    expect(documented).toHaveLength(manage.length);
    expect(doc.paths["/manage/transactions"].post.requestBody.content["application/json"].schema.properties.kind.enum).toEqual([
      "credit",
      "refund",
      "adjustment",
      "transfer",
    ]);
  });
});
