/**
 * `npm run bench:tls`: what TLS and mTLS cost on the ext_authz port. The no-op Check server (the same
 * gRPC adapter as gate402, no decision work) is measured plaintext, with TLS and with mTLS, each as its
 * own process, in interleaved rounds, by the separate load generator (4 HTTP/2 connections made once,
 * 32 calls in flight), so the figures are the steady-state per-call cost of the record layer, not
 * handshakes. Certificates: EC P-256 made by openssl for the run. Writes bench/TLS.md.
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { LoadResult, LoadSpec } from "./loadgen.js";
import { encodeChecks, spawnNode } from "./setup.js";

const here = dirname(fileURLToPath(import.meta.url));
const DURATION_MS = Number(process.env["BENCH_DURATION_MS"] ?? 4000);
const WARMUP_MS = 1500;
const ROUNDS = Number(process.env["BENCH_ROUNDS"] ?? 3);
const dir = mkdtempSync(join(tmpdir(), "gate402-bench-tls-"));

function openssl(args: string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: "ignore" });
}

/** A CA, a server certificate for 127.0.0.1 and a client certificate, as file paths. */
function pki(): Record<"ca" | "serverCert" | "serverKey" | "clientCert" | "clientKey", string> {
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  openssl([
    "req",
    "-x509",
    ...ec,
    "-keyout",
    "ca.key",
    "-out",
    "ca.crt",
    "-days",
    "1",
    "-subj",
    "/CN=bench-ca",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign",
  ]);
  for (const [name, ext, serial] of [
    ["server", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n", "2"],
    ["client", "extendedKeyUsage=clientAuth\n", "3"],
  ] as const) {
    writeFileSync(join(dir, `${name}.ext`), ext);
    openssl(["req", ...ec, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${name}`]);
    openssl([
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      "ca.crt",
      "-CAkey",
      "ca.key",
      "-set_serial",
      serial,
      "-days",
      "1",
      "-extfile",
      `${name}.ext`,
      "-out",
      `${name}.crt`,
    ]);
  }
  const f = (n: string) => join(dir, n);
  return {
    ca: f("ca.crt"),
    serverCert: f("server.crt"),
    serverKey: f("server.key"),
    clientCert: f("client.crt"),
    clientKey: f("client.key"),
  };
}

function load(spec: Pick<LoadSpec, "address" | "requests" | "tls">): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(here, "loadgen.js")], { stdio: ["pipe", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.on("exit", (code) => (code === 0 ? resolve(JSON.parse(out) as LoadResult) : reject(new Error(`loadgen exited ${code}`))));
    child.stdin.end(JSON.stringify({ ...spec, durationMs: DURATION_MS, warmupMs: WARMUP_MS, channels: 4, concurrency: 32 }));
  });
}

interface Scenario {
  readonly name: string;
  readonly env: Record<string, string>;
  readonly tls?: LoadSpec["tls"];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * Starts one server per scenario, then measures them in interleaved rounds (the machine is shared, so
 * load from other processes hits every scenario alike).
 */
async function measure(scenarios: readonly Scenario[]): Promise<{ name: string; runs: LoadResult[] }[]> {
  const servers = scenarios.map((s) => spawnNode(join(here, "noop-server.js"), ["0"], s.env));
  try {
    const ports = await Promise.all(servers.map(async (s) => Number(await s.firstLine)));
    const requests = encodeChecks([
      {
        attributes: { request: { http: { method: "GET", path: "/api/data", host: "api.example.com", headers: { ":path": "/api/data" } } } },
      },
    ]);
    const runs: LoadResult[][] = scenarios.map(() => []);
    for (let round = 0; round < ROUNDS; round++) {
      for (const [i, s] of scenarios.entries()) runs[i]!.push(await load({ address: `127.0.0.1:${ports[i]}`, requests, tls: s.tls }));
    }
    return scenarios.map((s, i) => ({ name: s.name, runs: runs[i]! }));
  } finally {
    for (const s of servers) s.child.kill("SIGTERM");
  }
}

async function main(): Promise<void> {
  const p = pki();
  const read = (f: string) => readFileSync(f, "utf8");
  const serverEnv = { NOOP_TLS_CERT_FILE: p.serverCert, NOOP_TLS_KEY_FILE: p.serverKey };
  const rows = await measure([
    { name: "plaintext", env: {} },
    { name: "TLS", env: serverEnv, tls: { ca: read(p.ca) } },
    {
      name: "mTLS (client certificate checked)",
      env: { ...serverEnv, NOOP_TLS_CLIENT_CA_FILE: p.ca },
      tls: { ca: read(p.ca), cert: read(p.clientCert), key: read(p.clientKey) },
    },
  ]);
  const tput = (runs: LoadResult[]) => median(runs.map((r) => r.throughput));
  const base = tput(rows[0]!.runs);
  const lines = [
    "# TLS cost on the ext_authz port",
    "",
    `Measured by \`npm run bench:tls\` on ${new Date().toISOString().slice(0, 10)}: ${cpus().length} cores (${cpus()[0]?.model.trim()}), Node ${process.version},`,
    `no-op Check server (gate402's gRPC adapter, no decision work) on 127.0.0.1, ${ROUNDS} interleaved rounds of ${DURATION_MS / 1000} s per scenario`,
    `after ${WARMUP_MS / 1000} s warm-up; medians, with the range of the rounds' throughput. 32 calls in flight over 4 HTTP/2`,
    "connections opened once (steady state: record encryption, not handshakes); EC P-256 certificates. Envoy keeps",
    "its ext_authz connections open, so this is the cost per Check in production.",
    "The load generator encrypts too, on the same cores, and the no-op server does no other work: the ratio is an",
    "upper bound for gate402, whose decisions cost far more than the record layer. mTLS adds work only at the",
    "handshake, so TLS and mTLS rows differ by noise; the machine is shared, so compare rows of one run only.",
    `Load average when the run ended: ${loadavg()[0]!.toFixed(1)}.`,
    "",
    "| scenario | checks/s (median) | range | × plaintext | p50 ms | p99 ms | errors |",
    "|---|---:|---:|---:|---:|---:|---:|",
    ...rows.map(({ name, runs }) => {
      const t = runs.map((r) => r.throughput);
      return `| ${name} | ${Math.round(tput(runs))} | ${Math.round(Math.min(...t))}–${Math.round(Math.max(...t))} | ${(tput(runs) / base).toFixed(2)} | ${median(runs.map((r) => r.p50)).toFixed(2)} | ${median(runs.map((r) => r.p99)).toFixed(2)} | ${runs.reduce((n, r) => n + r.errors, 0)} |`;
    }),
    "",
  ];
  writeFileSync(join(here, "..", "..", "bench", "TLS.md"), lines.join("\n"));
  process.stdout.write(lines.join("\n"));
  if (rows.some(({ runs }) => runs.some((r) => r.errors > 0 || r.calls === 0))) process.exitCode = 1;
}

main().finally(() => rmSync(dir, { recursive: true, force: true }));
