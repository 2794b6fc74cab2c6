/**
 * TLS and mTLS on the ext_authz port, with real third-party clients: `buf curl` and `openssl s_client`
 * style handshakes through node:tls. Certificates come from openssl at test time (test/support/certs.ts).
 */
import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { connect } from "node:tls";
import * as grpc from "@grpc/grpc-js";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Decision } from "../../src/core/decision.js";
import type { RequestFacts } from "../../src/core/facts.js";
import { ReloadableServerCredentials } from "../../src/tls/grpc-credentials.js";
import { createTlsReloader, type TlsReloader } from "../../src/tls/reloader.js";
import { checkClient } from "../../src/transport/envoy/client.js";
import { createExtAuthzServer, type ExtAuthzServer } from "../../src/transport/envoy/server.js";
import { BufCurlError, bufCheck, bufHealth } from "../support/buf.js";
import { envoyCheck } from "../support/check-request.js";
import { loadEnvoyFixture } from "../support/envoy-fixtures.js";
import { TestPki, type Ca, type CertFiles } from "../support/certs.js";

const pki = new TestPki();
let ca: Ca;
let otherCa: Ca;
let serverFiles: CertFiles;
let client: CertFiles;
let strangerClient: CertFiles;
/** Checks for path "/slow" wait until this resolves (an in-flight check across a rotation). */
let releaseSlow: () => void = () => {};
let slowStarted: () => void = () => {};

async function check(facts: RequestFacts): Promise<Decision> {
  if (facts.path === "/slow") {
    slowStarted();
    await new Promise<void>((r) => (releaseSlow = r));
  }
  return {
    kind: "allow",
    decisionId: `allow-${facts.path}`,
    method: "free",
    routeId: "r",
    priceMicro: 0n,
    upstreamHeaders: {},
    headersToRemove: [],
    responseHeaders: {},
  };
}

interface Running {
  server: ExtAuthzServer;
  port: number;
  reloader: TlsReloader;
}
async function start(files: { certFile: string; keyFile: string; clientCaFile?: string }): Promise<Running> {
  const reloader = createTlsReloader(files, 60_000, pino({ level: "silent" }));
  const credentials = new ReloadableServerCredentials(reloader.current());
  reloader.onChange((m) => credentials.update(m));
  const server = createExtAuthzServer({ check, credentials });
  const port = await server.listen(0, "127.0.0.1");
  return { server, port, reloader };
}
const stop = async (r?: Running) => {
  r?.reloader.stop();
  await r?.server.shutdown(500);
};

/** The certificate the server presents to a new connection (verified against `caFile`). */
function servedCertificate(port: number, caFile: string, clientCert?: CertFiles): Promise<X509Certificate> {
  return new Promise((resolve, reject) => {
    const socket = connect(
      {
        host: "127.0.0.1",
        port,
        ca: readFileSync(caFile),
        ALPNProtocols: ["h2"],
        ...(clientCert ? { cert: readFileSync(clientCert.certFile), key: readFileSync(clientCert.keyFile) } : {}),
      },
      () => {
        const peer = socket.getPeerX509Certificate();
        socket.end();
        peer ? resolve(peer) : reject(new Error("no peer certificate"));
      },
    );
    socket.on("error", reject);
  });
}

const bufError = async (p: Promise<unknown>): Promise<BufCurlError> => {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(BufCurlError);
  return err as BufCurlError;
};

beforeAll(() => {
  ca = pki.ca("test-ca");
  otherCa = pki.ca("other-ca");
  serverFiles = pki.leaf(ca, "gate402-server", "server");
  client = pki.leaf(ca, "envoy-client", "client");
  strangerClient = pki.leaf(otherCa, "stranger-client", "client");
});
afterAll(() => pki.cleanup());

describe("TLS on the ext_authz port (GATEWAY_TLS_CERT_FILE / GATEWAY_TLS_KEY_FILE)", () => {
  let tls: Running;
  beforeAll(async () => {
    tls = await start(serverFiles);
  });
  afterAll(() => stop(tls));

  it("buf curl with the CA runs Check and Health", async () => {
    const res = await bufCheck(tls.port, loadEnvoyFixture("envoy-get-priced.json"), { caFile: ca.certFile });
    expect(res.status?.code ?? 0).toBe(0);
    expect(res.dynamicMetadata.decision_id).toMatch(/^allow-\//);
    expect(await bufHealth(tls.port, "", { caFile: ca.certFile })).toBe("SERVING");
  });

  it("plaintext gRPC to the TLS port fails", async () => {
    const err = await bufError(bufHealth(tls.port));
    expect(err.exitCode).not.toBe(0);
  });

  it("a client that does not trust the CA refuses the server", async () => {
    const err = await bufError(bufHealth(tls.port, "", { caFile: otherCa.certFile }));
    expect(err.stderr).toMatch(/certificate/i);
  });
});

describe("mTLS (GATEWAY_TLS_CLIENT_CA_FILE)", () => {
  let mtls: Running;
  beforeAll(async () => {
    mtls = await start({ ...serverFiles, clientCaFile: ca.certFile });
  });
  afterAll(() => stop(mtls));

  it("a client certificate from the configured CA is accepted", async () => {
    const res = await bufCheck(mtls.port, loadEnvoyFixture("envoy-get-priced.json"), { caFile: ca.certFile, ...client });
    expect(res.dynamicMetadata.decision_id).toMatch(/^allow-\//);
  });

  it("a client without a certificate is refused", async () => {
    await bufError(bufCheck(mtls.port, loadEnvoyFixture("envoy-get-priced.json"), { caFile: ca.certFile }));
  });

  it("a client certificate from another CA is refused", async () => {
    await bufError(bufCheck(mtls.port, loadEnvoyFixture("envoy-get-priced.json"), { caFile: ca.certFile, ...strangerClient }));
  });
});

describe("certificate rotation without a restart", () => {
  it("new connections get the rotated certificate; a check in flight on the old connection completes", async () => {
    const rotating = pki.leaf(ca, "rotating", "server");
    const running = await start({ ...rotating, clientCaFile: ca.certFile });
    const grpcClient = checkClient(
      `127.0.0.1:${running.port}`,
      grpc.credentials.createSsl(readFileSync(ca.certFile), readFileSync(client.keyFile), readFileSync(client.certFile)),
    );
    try {
      const before = await servedCertificate(running.port, ca.certFile, client);
      expect(await grpcClient.health()).toBe("SERVING");
      const started = new Promise<void>((r) => (slowStarted = r));
      const inFlight = grpcClient.check(envoyCheck({ path: "/slow" }));
      await started;

      // cert-manager renews: same CA, new key and serial, written over the mounted files.
      const next = pki.leaf(ca, "rotating-next", "server");
      TestPki.copy(next, rotating);
      expect(running.reloader.check()).toBe(true);
      const after = await servedCertificate(running.port, ca.certFile, client);
      expect(after.serialNumber).not.toBe(before.serialNumber);
      expect(after.fingerprint256).toBe(new X509Certificate(readFileSync(next.certFile)).fingerprint256);

      releaseSlow();
      const res = await inFlight;
      expect(res.status?.code ?? 0).toBe(0);
      // buf curl, a fresh client, also works against the rotated certificate.
      expect(await bufHealth(running.port, "", { caFile: ca.certFile, ...client })).toBe("SERVING");
    } finally {
      grpcClient.close();
      await stop(running);
    }
  });

  it("a half-written or mismatched pair is not applied: the current certificate stays", async () => {
    const files = pki.leaf(ca, "stays", "server");
    const running = await start(files);
    try {
      const before = await servedCertificate(running.port, ca.certFile);
      const other = pki.leaf(ca, "stays-other", "server");
      // only the certificate is new: it does not match the key
      TestPki.copy({ certFile: other.certFile, keyFile: files.keyFile }, files);
      expect(running.reloader.check()).toBe(false);
      expect((await servedCertificate(running.port, ca.certFile)).fingerprint256).toBe(before.fingerprint256);
      expect(await bufHealth(running.port, "", { caFile: ca.certFile })).toBe("SERVING");
    } finally {
      await stop(running);
    }
  });
});

describe("plaintext health-only port (GATEWAY_HEALTH_GRPC_PORT)", () => {
  it("answers grpc.health.v1 in plaintext and does not serve Check", async () => {
    const running = await start({ ...serverFiles, clientCaFile: ca.certFile });
    try {
      const healthPort = await running.server.listenHealth(0, "127.0.0.1");
      expect(await bufHealth(healthPort)).toBe("SERVING");
      const err = await bufError(bufCheck(healthPort, loadEnvoyFixture("envoy-get-priced.json")));
      expect(err.grpcCode).toBe("unimplemented");
      running.server.setServing(false);
      expect(await bufHealth(healthPort)).toBe("NOT_SERVING");
    } finally {
      await stop(running);
    }
  });
});
