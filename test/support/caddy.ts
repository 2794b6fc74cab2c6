/**
 * Caddy (Debian package `caddy`, 2.6.2) as a real forward-auth proxy in front of gate402, for end-to-end
 * tests: writes a Caddyfile into a temp dir and runs `caddy run` as a plain child process on a 127.0.0.1
 * ephemeral port, admin endpoint off, HOME/XDG dirs and storage inside the temp dir (it writes nothing
 * elsewhere). The Caddyfile is the one docs/forward-auth.md documents.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface CaddyOptions {
  /** gate402's HTTP port on 127.0.0.1 */
  readonly gatePort: number;
  /** the protected service's port on 127.0.0.1 */
  readonly upstreamPort: number;
}

export interface CaddyProxy {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  readonly port: number;
  readonly caddyfile: string;
  /** what Caddy wrote to stdout/stderr (last 64 KiB) */
  logs(): string;
  stop(): Promise<void>;
}

/** The binary: $CADDY_BIN or `caddy` on PATH. */
const CADDY = process.env["CADDY_BIN"] ?? "caddy";

/** Every header gate402 adds upstream on allow (src/core/answers.ts UPSTREAM_HEADERS), as Caddy spells them. */
export const COPIED_HEADERS = [
  "X-Gate402-Decision-Id",
  "X-Gate402-Paid-By",
  "X-Gate402-Route",
  "X-Gate402-Amount-Micro",
  "X-Gate402-Payer",
  "X-Gate402-Client-Id",
  "X-Gate402-Tx-Hash",
];
/** Client-facing headers of an allow answer, passed to the client only when the answer has them. */
export const RECEIPT_HEADERS = ["Payment-Response", "X-Payment-Response", "X-Prepaid-Balance", "X-Prepaid-Balance-Micro"];

/** The protected routes of a site: ask gate402, strip what the client paid with, proxy upstream. */
function protectedRoute(matcher: string, authUri: string, gate: string, upstream: string): string {
  return `\troute ${matcher}{
\t\t# clients must not inject gate402's upstream headers (e.g. x-gate402-dry-run)
\t\trequest_header -X-Gate402-*
\t\tforward_auth ${gate} {
\t\t\turi ${authUri}
\t\t\tcopy_headers ${COPIED_HEADERS.join(" ")}
\t\t}
${RECEIPT_HEADERS.map((h) => `\t\theader @has-${h.toLowerCase()} ${h} {http.reverse_proxy.header.${h}}`).join("\n")}
\t\t# proof and credential headers never reach the upstream (Caddy cannot strip from the auth answer)
\t\trequest_header @prepaid-bearer -Authorization
\t\trequest_header -X-Payment-Proof
\t\trequest_header -Payment-Signature
\t\trequest_header -X-Payment
\t\trequest_header -X-Client-Id
\t\trequest_header -X-Client-Key
\t\treverse_proxy ${upstream}
\t}`;
}

/**
 * The tested Caddyfile: `/premium/*` priced by the proxy (auth URI query `route`, `price`), everything
 * else by gate402's route table.
 * @param listen site address, e.g. "http://:8080"
 */
export function gate402Caddyfile(o: { listen: string; gate: string; upstream: string; storage: string; bind?: string }): string {
  const receiptMatchers = RECEIPT_HEADERS.map((h) => {
    const ph = `{http.reverse_proxy.header.${h}}`;
    // 2.6.2 leaves an unknown placeholder literal; forward a receipt header only when gate402 sent one.
    return `\t@has-${h.toLowerCase()} expression \`${ph} != null && ${ph} != ""\``;
  });
  return `{
\tadmin off
\tauto_https off
\tstorage file_system ${o.storage}
}

${o.listen} {
${o.bind ? `\tbind ${o.bind}\n` : ""}${receiptMatchers.join("\n")}
\t@prepaid-bearer {
\t\theader X-Client-Id *
\t\tnot header X-Client-Key *
\t}
\t# gate402's own public endpoints reach it without passing the gate (links in 402 bodies point here)
\t@gate402-public path /prepaid/* /invoices/* /health
\troute @gate402-public {
\t\treverse_proxy ${o.gate}
\t}
${protectedRoute("/premium/* ", "/auth/forward?route=premium&price=0.002", o.gate, o.upstream)}
${protectedRoute("", "/auth/forward", o.gate, o.upstream)}
}
`;
}

/** Fails with a clear message when Caddy is not installed (CI installs it: `apt-get install caddy`). */
export function requireCaddy(): string {
  const res = spawnSync(CADDY, ["version"], { encoding: "utf8", timeout: 10_000 });
  if (res.error || res.status !== 0) {
    throw new Error(
      `Caddy is required for this test but \`${CADDY} version\` failed (${res.error?.message ?? res.stderr}). Install the Debian package \`caddy\` (2.6.2) or set CADDY_BIN.`,
    );
  }
  return res.stdout.trim();
}

/** Starts Caddy and waits (bounded) until it accepts connections. */
export async function startCaddy(opts: CaddyOptions): Promise<CaddyProxy> {
  requireCaddy();
  const dir = await mkdtemp(join(tmpdir(), "gate402-caddy-"));
  const port = await freePort();
  const caddyfile = gate402Caddyfile({
    listen: `http://:${port}`,
    bind: "127.0.0.1",
    gate: `127.0.0.1:${opts.gatePort}`,
    upstream: `127.0.0.1:${opts.upstreamPort}`,
    storage: join(dir, "storage"),
  });
  const file = join(dir, "Caddyfile");
  await writeFile(file, caddyfile);
  const env = {
    PATH: process.env["PATH"] ?? "/usr/bin:/bin",
    HOME: dir,
    XDG_DATA_HOME: join(dir, "data"),
    XDG_CONFIG_HOME: join(dir, "config"),
    XDG_CACHE_HOME: join(dir, "cache"),
  };
  const child = spawn(CADDY, ["run", "--config", file, "--adapter", "caddyfile"], { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });
  let logs = "";
  const keep = (chunk: Buffer) => {
    logs = (logs + chunk.toString("utf8")).slice(-65_536);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const cleanup = async () => {
    await stopChild(child);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitForPort(port, child, () => logs);
  } catch (err) {
    await cleanup();
    throw err;
  }
  return { url: `http://127.0.0.1:${port}`, port, caddyfile, logs: () => logs, stop: cleanup };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function waitForPort(port: number, child: ChildProcess, logs: () => string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`caddy exited with code ${child.exitCode}:\n${logs()}`);
    const up = await new Promise<boolean>((resolve) => {
      const s = connect(port, "127.0.0.1", () => {
        s.destroy();
        resolve(true);
      });
      s.on("error", () => resolve(false));
    });
    if (up) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`caddy did not listen on 127.0.0.1:${port} within 10 s:\n${logs()}`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
  await exited;
  clearTimeout(timer);
}
