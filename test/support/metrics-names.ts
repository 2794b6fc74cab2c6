import { spawn } from "node:child_process";

/**
 * Metric-name checks shared by the packaging tests and the live-scrape test: every name a dashboard query
 * uses must be exported by the service, or the panel is silently empty in production.
 */

// PromQL words that look like identifiers but are not metric names.
const KEYWORDS = new Set([
  "and",
  "or",
  "unless",
  "bool",
  "offset",
  "inf",
  "nan",
  "atan2",
  "by",
  "without",
  "on",
  "ignoring",
  "group_left",
  "group_right",
]);

/** Metric names referenced by one PromQL expression (functions, labels and keywords excluded). */
export function metricNamesInExpr(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""') // string literals (label values)
    .replace(/\{[^}]*\}/g, " ") // label matchers
    .replace(/\[[^\]]*\]/g, " ") // range/subquery durations, incl. $__rate_interval
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ") // label lists
    .replace(/\$\{?\w+\}?/g, " "); // Grafana variables
  const names = new Set<string>();
  for (const m of stripped.matchAll(/(?<![\w.:])([a-zA-Z_:][\w:]*)(\s*\()?/g)) {
    const [, word, call] = m;
    if (call || KEYWORDS.has(word!.toLowerCase())) continue;
    names.add(word!);
  }
  return [...names];
}

/** Sample names (with _bucket/_sum/_count/_total as exposed) in a Prometheus text exposition. */
export function exposedMetricNames(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const line of exposition.split("\n")) {
    if (!line.trim() || line.startsWith("#")) continue;
    const name = /^([a-zA-Z_:][\w:]*)/.exec(line)?.[1];
    if (name) names.add(name);
  }
  return names;
}

interface PanelLike {
  targets?: Array<Record<string, unknown>>;
  panels?: PanelLike[];
}

/** Every PromQL `expr` in a dashboard's panels (rows included). */
export function dashboardExprs(dashboard: { panels?: PanelLike[] }): string[] {
  const out: string[] = [];
  const walk = (panels: PanelLike[] = []) => {
    for (const p of panels) {
      for (const t of p.targets ?? []) if (typeof t.expr === "string") out.push(t.expr);
      walk(p.panels);
    }
  };
  walk(dashboard.panels);
  return out;
}

/**
 * Metric names the dashboard queries that the exposition does not contain, sorted; [] means every panel
 * has data to show. Names from recording rules (containing ":") are skipped: Prometheus makes those.
 */
export function checkDashboardMetrics(dashboard: { panels?: PanelLike[] }, exposition: string): string[] {
  const exposed = exposedMetricNames(exposition);
  const unknown = new Set<string>();
  for (const expr of dashboardExprs(dashboard)) {
    for (const name of metricNamesInExpr(expr)) if (!name.includes(":") && !exposed.has(name)) unknown.add(name);
  }
  return [...unknown].sort();
}

/**
 * `promtool check metrics` on an exposition (naming and HELP/TYPE lint). Rejects when promtool is not
 * installed: CI installs it (Debian package `prometheus`), so a missing tool is a failure, not a skip.
 */
export function promtoolCheckMetrics(text: string): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("promtool", ["check", "metrics"], { stdio: ["pipe", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    child.on("error", (err) => reject(new Error(`promtool not runnable (${err.message}); install it: apt-get install -y prometheus`)));
    child.on("close", (code) => resolve({ ok: code === 0, output }));
    child.stdin.end(text);
  });
}
