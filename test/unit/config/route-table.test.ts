/**
 * The run-time route table (src/config/route-table.ts) on its own, without /manage: it holds the rules
 * the pricing core reads, reloads GATEWAY_ROUTES_FILE on change and on reload(), keeps GATEWAY_ROUTES
 * after the file's rules, and keeps the old table when the file does not parse.
 */
import { mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { createRouteTable, type RouteTable } from "../../../src/config/route-table.js";
import { parseRoutesEnv, parseRoutesYaml } from "../../../src/config/routes.js";

const yaml = (price: string) => `routes:\n  - id: search\n    pattern: /api/search/*\n    price: "${price}"\n`;

let dir: string | undefined;
let table: RouteTable | undefined;
afterEach(() => {
  table?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
  table = dir = undefined;
});

function build(): { file: string; table: RouteTable } {
  dir = mkdtempSync(join(tmpdir(), "gate402-route-table-"));
  const file = join(dir, "routes.yaml");
  writeFileSync(file, yaml("0.002"));
  const envRoutes = parseRoutesEnv("/api/env/*=0.5");
  const routes = [...parseRoutesYaml(yaml("0.002")), ...envRoutes];
  table = createRouteTable({ routes, routesFile: file, envRoutes, log: pino({ level: "silent" }), debounceMs: 20 });
  return { file, table };
}

async function until(ok: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}

const prices = (t: RouteTable) => t.current().map((r) => `${r.id}=${r.priceMicro}`);

describe("route table", () => {
  it("a changed file replaces the rules the core reads; GATEWAY_ROUTES stays after them", async () => {
    const { file, table } = build();
    expect(prices(table)).toEqual(["search=2000", "/api/env/*=500000"]);
    const before = table.current();
    writeFileSync(`${file}.tmp`, yaml("0.003"));
    renameSync(`${file}.tmp`, file);
    await until(() => table.current() !== before);
    expect(prices(table)).toEqual(["search=3000", "/api/env/*=500000"]);
    expect(table.entries().map((e) => e.source)).toEqual(["file", "env"]);
    expect(before.map((r) => r.priceMicro)).toEqual([2000n, 500000n]); // a check in flight keeps its table
  });

  it("reload() of a file that does not parse keeps the old table and says why", async () => {
    const { file, table } = build();
    writeFileSync(file, "routes: 12");
    const status = await table.reload("test");
    expect(status).toMatchObject({ ok: false });
    expect(status.problems?.length).toBeGreaterThan(0);
    expect(table.lastReload()).toEqual(status);
    expect(prices(table)).toEqual(["search=2000", "/api/env/*=500000"]);
    writeFileSync(file, yaml("0.004"));
    expect(await table.reload("test")).toMatchObject({ ok: true });
    expect(prices(table)).toEqual(["search=4000", "/api/env/*=500000"]);
  });

  it("stop() ends the SIGHUP listener it added", () => {
    const before = process.listenerCount("SIGHUP");
    const { table } = build();
    expect(process.listenerCount("SIGHUP")).toBe(before + 1);
    table.stop();
    expect(process.listenerCount("SIGHUP")).toBe(before);
  });
});
