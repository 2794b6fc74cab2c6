/**
 * gate402 started from its configuration with GATEWAY_TLS_* (mTLS on gRPC, TLS on HTTP, client
 * certificates on /manage only) and GATEWAY_HEALTH_GRPC_PORT, on the real devnet and Postgres; the
 * certificate is rotated on disk and picked up by the reload timer on both ports.
 */
import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { request } from "node:https";
import { setTimeout as sleep } from "node:timers/promises";
import { connect, type TLSSocket } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BufCurlError, bufCheck, bufHealth } from "../support/buf.js";
import { TestPki, type Ca, type CertFiles } from "../support/certs.js";
import { loadEnvoyFixture } from "../support/envoy-fixtures.js";
import { startStack, type Stack } from "../support/stack.js";

const pki = new TestPki();
let ca: Ca;
let serving: CertFiles;
let envoyClient: CertFiles;
let stack: Stack;

beforeAll(async () => {
  ca = pki.ca("cluster-ca");
  serving = pki.leaf(ca, "gate402", "server");
  envoyClient = pki.leaf(ca, "envoy", "client");
  stack = await startStack({
    env: {
      GATEWAY_TLS_CERT_FILE: serving.certFile,
      GATEWAY_TLS_KEY_FILE: serving.keyFile,
      GATEWAY_TLS_CLIENT_CA_FILE: ca.certFile,
      GATEWAY_TLS_MANAGE_CLIENT_CERT: "true",
      GATEWAY_TLS_RELOAD_MS: "200",
      GATEWAY_HEALTH_GRPC_PORT: "0",
      GATEWAY_WATCHER: "false",
    },
  });
});
afterAll(async () => {
  await stack?.stop();
  pki.cleanup();
});

interface Reply {
  status: number;
  body: string;
  peer: X509Certificate;
}
/** One HTTPS request trusting only the test CA, optionally with a client certificate. */
function https(path: string, client?: CertFiles): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port: stack.gw.httpPort,
        path,
        method: "GET",
        agent: false,
        ca: readFileSync(ca.certFile),
        ...(client ? { cert: readFileSync(client.certFile), key: readFileSync(client.keyFile) } : {}),
      },
      (res) => {
        let body = "";
        res.on("data", (d: Buffer) => (body += d.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body, peer: (res.socket as TLSSocket).getPeerX509Certificate()! }));
      },
    );
    req.on("error", reject);
    req.end();
  });
}

function grpcPeer(port: number): Promise<X509Certificate> {
  return new Promise((resolve, reject) => {
    const s = connect(
      {
        host: "127.0.0.1",
        port,
        ca: readFileSync(ca.certFile),
        ALPNProtocols: ["h2"],
        cert: readFileSync(envoyClient.certFile),
        key: readFileSync(envoyClient.keyFile),
      },
      () => {
        const peer = s.getPeerX509Certificate()!;
        s.end();
        resolve(peer);
      },
    );
    s.on("error", reject);
  });
}

describe("gate402 with TLS from its configuration", () => {
  it("Envoy's link: buf curl with the client certificate gets the real 402 decision; without it the call fails", async () => {
    const tls = { caFile: ca.certFile, ...envoyClient };
    const res = await bufCheck(stack.gw.grpcPort, loadEnvoyFixture("envoy-get-priced.json"), tls);
    expect(res.deniedResponse.status.code).toBe("PaymentRequired");
    expect(JSON.parse(res.deniedResponse.body).payment.address).toBe(stack.payTo);
    const err = await bufHealth(stack.gw.grpcPort, "", { caFile: ca.certFile }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(BufCurlError);
  });

  it("kubelet's link: the plaintext health-only port answers SERVING", async () => {
    expect(stack.gw.healthGrpcPort).toBeGreaterThan(0);
    expect(await bufHealth(stack.gw.healthGrpcPort!)).toBe("SERVING");
  });

  it("the HTTP API is HTTPS; public routes need no client certificate, /manage does", async () => {
    expect(stack.gw.httpUrl).toMatch(/^https:\/\/127\.0\.0\.1:/);
    expect((await https("/healthz")).status).toBe(200);
    const refused = await https("/manage/openapi.json");
    expect(refused.status).toBe(401);
    expect(JSON.parse(refused.body).error).toBe("CLIENT_CERTIFICATE_REQUIRED");
    const stranger = pki.leaf(pki.ca("stranger-ca"), "stranger", "client");
    expect((await https("/manage/openapi.json", stranger)).status).toBe(401);
    expect((await https("/manage/openapi.json", envoyClient)).status).toBe(200);
    await expect(fetch(`http://127.0.0.1:${stack.gw.httpPort}/healthz`)).rejects.toThrow();
  });

  it("a certificate rotated on disk is served on both ports without a restart", async () => {
    const before = (await https("/healthz")).peer.fingerprint256;
    expect((await grpcPeer(stack.gw.grpcPort)).fingerprint256).toBe(before);
    const next = pki.leaf(ca, "gate402-renewed", "server");
    const expected = new X509Certificate(readFileSync(next.certFile)).fingerprint256;
    TestPki.copy(next, serving);
    const t0 = Date.now();
    while ((await https("/healthz")).peer.fingerprint256 !== expected) {
      if (Date.now() - t0 > 10_000) throw new Error("the rotated certificate was not served within 10 s");
      await sleep(100);
    }
    expect((await grpcPeer(stack.gw.grpcPort)).fingerprint256).toBe(expected);
    expect(await bufHealth(stack.gw.grpcPort, "", { caFile: ca.certFile, ...envoyClient })).toBe("SERVING");
  });
});

describe("the image's HEALTHCHECK command", () => {
  it("checks /healthz over https when TLS is on", async () => {
    const dockerfile = readFileSync(new URL("../../Dockerfile", import.meta.url), "utf8").replace(/\\\n/g, " ");
    const line = /^HEALTHCHECK .*?CMD (\[.*\])$/m.exec(dockerfile)![1]!;
    const [cmd, ...args] = JSON.parse(line) as string[];
    const { execFile } = await import("node:child_process");
    const exitCode = (env: Record<string, string>) =>
      new Promise<number>((resolve) =>
        execFile(cmd!, args, { env: { ...process.env, ...env }, timeout: 10_000 }, (err) =>
          resolve(err ? Number((err as { code?: number }).code ?? 1) : 0),
        ),
      );
    expect(await exitCode({ GATEWAY_TLS_CERT_FILE: serving.certFile, GATEWAY_HTTP_PORT: String(stack.gw.httpPort) })).toBe(0);
    expect(await exitCode({ GATEWAY_HTTP_PORT: String(stack.gw.httpPort) })).toBe(1); // plain http to the TLS port
  });
});
