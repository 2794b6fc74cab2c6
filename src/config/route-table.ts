/**
 * The run-time route table, the one home of route reloads: holds the rules the pricing core reads,
 * knows where each came from, and reloads GATEWAY_ROUTES_FILE when it changes (fs.watch on its
 * directory, debounced, so editors that write a temp file and rename it are seen too), on SIGHUP, or
 * when asked (POST /manage/routes/reload calls reload()). A reload swaps the whole table at once:
 * checks in flight keep the table they started with. A file that does not parse changes nothing; the
 * reason is logged and shown by GET /manage/routes. Built by the app (src/app/gateway.ts).
 */
import { watch, type FSWatcher } from "node:fs";
import { readFile } from "node:fs/promises";
import { basename, dirname } from "node:path";
import type { Logger } from "pino";
import type { PaymentAsset } from "../core/assets.js";
import type { RouteRule } from "../core/route-rule.js";
import { parseRoutesYaml, RouteConfigError } from "./routes.js";

export type RouteSource = "file" | "env";

export interface ReloadStatus {
  /** RFC 3339 time of the last attempt */
  readonly at: string;
  readonly ok: boolean;
  /** why the last attempt was refused */
  readonly problems?: readonly string[];
}

export interface RouteTable {
  /** the effective rules, most specific first (what the pricing core reads for each check) */
  current(): readonly RouteRule[];
  /** replaces the whole table at once (a reload does this; tests too) */
  set(routes: readonly RouteRule[]): void;
  /** the effective rules, most specific first, with their source */
  entries(): { rule: RouteRule; source: RouteSource }[];
  readonly routesFile: string | undefined;
  lastReload(): ReloadStatus | undefined;
  /** Re-reads the routes file now. @returns the outcome (also kept as lastReload) */
  reload(trigger: string): Promise<ReloadStatus>;
  stop(): void;
}

export interface RouteTableOptions {
  /** the rules at start (GatewayConfig.routes: the file's, then GATEWAY_ROUTES) */
  readonly routes: readonly RouteRule[];
  readonly routesFile: string | undefined;
  /** the GATEWAY_ROUTES rules, kept after the file's rules on every reload */
  readonly envRoutes: readonly RouteRule[];
  /** accepted assets (GatewayConfig.assets): what a rule's `prices` may name */
  readonly assets?: readonly PaymentAsset[];
  readonly log: Logger;
  /** ms to wait for a burst of file events to settle (default 250) */
  readonly debounceMs?: number;
  /** unix ms */
  readonly clock?: () => number;
}

/** Builds the table and, when a routes file is configured, starts watching it (until stop()). */
export function createRouteTable(o: RouteTableOptions): RouteTable {
  const envRules = new Set(o.envRoutes);
  let routes = o.routes;
  let last: ReloadStatus | undefined;
  let timer: NodeJS.Timeout | undefined;
  let watcher: FSWatcher | undefined;
  const log = o.log.child({ component: "routes-reload", routesFile: o.routesFile });
  const now = () => new Date((o.clock ?? Date.now)()).toISOString();

  async function reload(trigger: string): Promise<ReloadStatus> {
    if (!o.routesFile) return (last = { at: now(), ok: false, problems: ["GATEWAY_ROUTES_FILE is not set"] });
    try {
      const fileRules = parseRoutesYaml(await readFile(o.routesFile, "utf8"), `GATEWAY_ROUTES_FILE ${o.routesFile}`, o.assets);
      routes = Object.freeze([...fileRules, ...o.envRoutes]);
      log.info({ trigger, routes: fileRules.length }, "route table reloaded");
      return (last = { at: now(), ok: true });
    } catch (err) {
      const problems = err instanceof RouteConfigError ? err.problems : [`${o.routesFile}: ${(err as Error).message}`];
      log.warn({ trigger, problems }, "routes file refused; keeping the current route table");
      return (last = { at: now(), ok: false, problems });
    }
  }

  const schedule = (trigger: string) => {
    clearTimeout(timer);
    timer = setTimeout(() => void reload(trigger), o.debounceMs ?? 250);
  };
  const onHup = () => schedule("SIGHUP");
  if (o.routesFile) {
    const file = basename(o.routesFile);
    watcher = watch(dirname(o.routesFile), (_event, name) => {
      if (name === null || name === file) schedule("file change");
    });
    watcher.on("error", (err) => log.warn({ err }, "cannot watch the routes file; SIGHUP still reloads it"));
    process.on("SIGHUP", onHup);
  }
  return {
    current: () => routes,
    set: (r) => {
      routes = r;
    },
    routesFile: o.routesFile,
    entries: () => routes.map((rule) => ({ rule, source: envRules.has(rule) ? "env" : "file" })),
    lastReload: () => last,
    reload,
    stop() {
      clearTimeout(timer);
      watcher?.close();
      process.off("SIGHUP", onHup);
    },
  };
}
