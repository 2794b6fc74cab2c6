/**
 * `npm run bench:caddy`: gate402 behind a real proxy. Caddy (Debian `caddy`) `forward_auth` to
 * gate402's HTTP mode, against Caddy `reverse_proxy` alone to the same upstream, in the same run;
 * prepaid (1,000 accounts) and unpaid (402). Writes the "Caddy forward_auth" section of bench/RESULTS.md.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, existsSync, rmSync } from "node:fs";
import http from "node:http";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { startDevnet } from "@gate402/devnet";
import type { HttpLoadResult, HttpLoadSpec } from "./httpload.js";
import { benchDatabase, freePort, fundedAccounts, spawnNode, waitHttp } from "./setup.js";

const here = dirname(fileURLToPath(import.meta.url));
const DURATION_MS = Number(process.env["BENCH_DURATION_MS"] ?? 6000);
const CONNECTIONS = 50;
const START = "<!-- caddy -->";
const END = "<!-- /caddy -->";

function load(spec: Omit<HttpLoadSpec, "durationMs" | "warmupMs" | "connections">): Promise<HttpLoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(here, "httpload.js")], { stdio: ["pipe", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.on("exit", (code) => (code === 0 ? resolve(JSON.parse(out) as HttpLoadResult) : reject(new Error(`httpload exited ${code}`))));
    child.stdin.end(JSON.stringify({ ...spec, durationMs: DURATION_MS, warmupMs: 1500, connections: CONNECTIONS }));
  });
}

function caddyfile(o: { alone: number; gated: number; gate: number; upstream: number; storage: string }): string {
  const copied = ["X-Gate402-Decision-Id", "X-Gate402-Paid-By", "X-Gate402-Route", "X-Gate402-Amount-Micro", "X-Gate402-Client-Id"];
  return `{
\tadmin off
\tauto_https off
\tstorage file_system ${o.storage}
}
http://:${o.alone} {
\tbind 127.0.0.1
\treverse_proxy 127.0.0.1:${o.upstream}
}
http://:${o.gated} {
\tbind 127.0.0.1
\troute {
\t\tforward_auth 127.0.0.1:${o.gate} {
\t\t\turi /auth/forward
\t\t\tcopy_headers ${copied.join(" ")}
\t\t}
\t\trequest_header -X-Client-Id
\t\trequest_header -X-Client-Key
\t\treverse_proxy 127.0.0.1:${o.upstream}
\t}
}
`;
}

async function main(): Promise<void> {
  const base = process.env["BENCH_DATABASE_URL"] ?? process.env["TEST_DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/test";
  const db = await benchDatabase(base);
  const devnet = await startDevnet({ blockTimeMs: 500 });
  const [grpcPort, httpPort, alone, gated] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const upstream = http.createServer((_req, res) => res.end("ok\n"));
  await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", r));
  const upstreamPort = (upstream.address() as { port: number }).port;
  const gw = spawnNode(join(here, "..", "src", "cli.js"), ["serve"], {
    GATEWAY_HOST: "127.0.0.1",
    GATEWAY_GRPC_PORT: String(grpcPort),
    GATEWAY_HTTP_PORT: String(httpPort),
    GATEWAY_PAYMENT_ADDRESS: devnet.wallets[0]!.address,
    GATEWAY_RPC: devnet.rpcUrl,
    GATEWAY_CHAIN_ID: devnet.chainId,
    DATABASE_URL: db.url,
    GATEWAY_INVOICE_SECRET: "bench-invoice-secret-0123456789abcdef012345",
    JWT_SECRET: "bench-jwt-secret-0123456789abcdef0123456789",
    LOG_LEVEL: "warn",
    GATEWAY_WATCHER: "false",
    GATEWAY_DEFAULT_PRICE: "0.000100",
  });
  const dir = mkdtempSync(join(tmpdir(), "gate402-bench-caddy-"));
  const file = join(dir, "Caddyfile");
  writeFileSync(file, caddyfile({ alone, gated, gate: httpPort, upstream: upstreamPort, storage: join(dir, "storage") }));
  const env = {
    PATH: process.env["PATH"] ?? "/usr/bin:/bin",
    HOME: dir,
    XDG_DATA_HOME: join(dir, "data"),
    XDG_CONFIG_HOME: join(dir, "config"),
  };
  const caddy = spawn(process.env["CADDY_BIN"] ?? "caddy", ["run", "--config", file, "--adapter", "caddyfile"], {
    cwd: dir,
    env,
    stdio: "ignore",
  });
  try {
    await waitHttp(`http://127.0.0.1:${httpPort}/healthz`);
    await waitHttp(`http://127.0.0.1:${alone}/`);
    process.stderr.write("bench: funding 1,000 prepaid accounts…\n");
    const accounts = await fundedAccounts(db.url, 1000, 1_000_000_000_000n);
    const prepaid = accounts.map((a) => ({ "x-client-id": a.clientId, "x-client-key": a.clientKey }));
    const rows: { name: string; r: HttpLoadResult }[] = [];
    for (const [name, url, headers] of [
      ["Caddy reverse_proxy alone", `http://127.0.0.1:${alone}/api/data`, [{}]],
      ["Caddy forward_auth → gate402, prepaid (1,000 accounts)", `http://127.0.0.1:${gated}/api/data`, prepaid],
      ["Caddy forward_auth → gate402, unpaid (402)", `http://127.0.0.1:${gated}/api/data`, [{}]],
    ] as const) {
      process.stderr.write(`bench: ${name}…\n`);
      const r = await load({ url, headers: headers as Record<string, string>[] });
      process.stderr.write(`  ${JSON.stringify(r)}\n`);
      rows.push({ name, r });
    }
    write(rows);
  } finally {
    caddy.kill("SIGTERM");
    gw.child.kill("SIGTERM");
    upstream.close();
    await devnet.stop();
    await new Promise((r) => setTimeout(r, 500));
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function write(rows: readonly { name: string; r: HttpLoadResult }[]): void {
  const path = join(here, "..", "..", "bench", "RESULTS.md");
  const alone = rows[0]!.r.throughput;
  const section = [
    START,
    "## Behind Caddy `forward_auth` (`npm run bench:caddy`)",
    "",
    `Measured ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC: ${cpus().length} cores, load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(" / ")} at the end,`,
    `Caddy ${"2.6.2 (Debian)"}, ${CONNECTIONS} keep-alive connections (closed loop, HTTP/1.1 generator in its own Node process), ${DURATION_MS / 1000} s per row.`,
    "",
    "| scenario | req/s | × Caddy alone | p50 ms | p99 ms | answers |",
    "|---|---:|---:|---:|---:|---|",
    ...rows.map(
      ({ name, r }) =>
        `| ${name} | ${r.throughput.toFixed(0)} | ${(r.throughput / alone).toFixed(2)} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${JSON.stringify(r.statuses)} |`,
    ),
    END,
  ].join("\n");
  const old = existsSync(path) ? readFileSync(path, "utf8") : "# Benchmark results\n";
  const s = old.indexOf(START);
  const e = old.indexOf(END);
  writeFileSync(path, s >= 0 && e > s ? old.slice(0, s) + section + old.slice(e + END.length) : `${old.trimEnd()}\n\n${section}\n`);
}

await main();
