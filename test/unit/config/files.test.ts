/** Secrets from `_FILE` variables and the GATEWAY_TLS_* settings (certificates made by openssl here). */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig, secretSetting } from "../../../src/config/load.js";
import { TestPki } from "../../support/certs.js";

const ADDRESS = "neutaro1w8xkwq5cdrqqx2lqe3m6ddvzq5t7yfc8f4fpgm";
const INVOICE_SECRET = "9f2c4e7a1b3d5f60718293a4b5c6d7e8f9012a3b4c5d6e7f8091a2b3c4d5e6f7";
const JWT_SECRET = "c0ffee00deadbeef1234567890abcdef0fedcba9876543210aa55aa55aa55aa5";
const dir = mkdtempSync(join(tmpdir(), "gate402-config-"));
const pki = new TestPki();
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  pki.cleanup();
});

function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}
function problemsOf(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error("expected a ConfigError");
}
const base = { GATEWAY_PAYMENT_ADDRESS: ADDRESS };

describe("secrets from _FILE variables", () => {
  it("every secret is read from its _FILE, trailing newlines removed", () => {
    const c = loadConfig(
      {
        ...base,
        GATEWAY_INVOICE_SECRET_FILE: file("invoice", `${INVOICE_SECRET}\n`),
        JWT_SECRET_FILE: file("jwt", `${JWT_SECRET}\r\n\n`),
        DATABASE_URL_FILE: file("db", "postgres://gate402:p%40ss@db:5432/gate402\n"),
        GATEWAY_ADMIN_BOOTSTRAP_TOKEN_FILE: file("bootstrap", "bootstrap-token-0123456789abcdef\n"),
        GATEWAY_X402_FACILITATOR_TOKEN_FILE: file("facilitator", "facilitator-token-0123456789\n"),
        GATEWAY_PREPAID_SIGNUP: "token",
        GATEWAY_PREPAID_SIGNUP_TOKEN_FILE: file("signup", "signup-token-0123456789abcdef\n"),
        GATEWAY_PASS_KEYS_FILE: file("passes", `k2:${"b".repeat(32)},k1:${"a".repeat(32)}\n`),
      },
      "production",
    );
    expect(c).toMatchObject({
      invoiceSecret: INVOICE_SECRET,
      jwtSecret: JWT_SECRET,
      databaseUrl: "postgres://gate402:p%40ss@db:5432/gate402",
      adminBootstrapToken: "bootstrap-token-0123456789abcdef",
      generatedSecrets: [],
    });
    expect(c.x402.facilitatorToken).toBe("facilitator-token-0123456789");
    expect(c.prepaidSignup.token).toBe("signup-token-0123456789abcdef");
    expect(c.passKeys.signing.kid).toBe("k2");
    expect(c.passKeys.verifying.map((k) => k.kid)).toEqual(["k2", "k1"]);
  });

  it("a secret read from a file is validated like the variable (weak secrets refused)", () => {
    expect(
      problemsOf(() =>
        loadConfig({ ...base, GATEWAY_INVOICE_SECRET: INVOICE_SECRET, JWT_SECRET_FILE: file("weak", "secret\n") }, "production"),
      ),
    ).toEqual([expect.stringMatching(/^JWT_SECRET is a default or weak secret/)]);
  });

  it("both forms set, an unreadable file and an empty file are clear errors, all reported together", () => {
    const problems = problemsOf(() =>
      loadConfig(
        {
          ...base,
          GATEWAY_INVOICE_SECRET: INVOICE_SECRET,
          GATEWAY_INVOICE_SECRET_FILE: file("invoice2", INVOICE_SECRET),
          JWT_SECRET_FILE: join(dir, "missing"),
          DATABASE_URL_FILE: file("empty", "\n"),
        },
        "production",
      ),
    );
    // each once, and not again as "missing"
    expect(problems).toEqual([
      "GATEWAY_INVOICE_SECRET and GATEWAY_INVOICE_SECRET_FILE are both set: set only one",
      expect.stringMatching(/^JWT_SECRET_FILE: cannot read .*missing \(ENOENT\)$/),
      expect.stringMatching(/^DATABASE_URL_FILE: .*empty is empty$/),
    ]);
  });

  it("secretSetting serves commands that need one secret (gate402 migrate)", () => {
    expect(secretSetting({ DATABASE_URL_FILE: file("db2", "postgres://x@h/d\n") }, "DATABASE_URL")).toBe("postgres://x@h/d");
    expect(secretSetting({}, "DATABASE_URL")).toBeUndefined();
    expect(() => secretSetting({ DATABASE_URL: "postgres://a", DATABASE_URL_FILE: file("db3", "postgres://b") }, "DATABASE_URL")).toThrow(
      /both set/,
    );
  });
});

describe("management login throttling and revocation settings", () => {
  it("have documented defaults and take overrides", () => {
    const env = { ...base, GATEWAY_INVOICE_SECRET: INVOICE_SECRET, JWT_SECRET };
    expect(loadConfig(env, "production").manageAuth).toEqual({
      maxFailures: 5,
      maxFailuresPerAddress: 20,
      lockoutSeconds: 900,
      windowSeconds: 900,
      revocationPollMs: 2000,
    });
    expect(
      loadConfig(
        { ...env, GATEWAY_LOGIN_MAX_FAILURES: "3", GATEWAY_LOGIN_WINDOW_SECONDS: "60", GATEWAY_REVOCATION_POLL_MS: "500" },
        "production",
      ).manageAuth,
    ).toMatchObject({ maxFailures: 3, windowSeconds: 60, revocationPollMs: 500 });
    expect(
      problemsOf(() => loadConfig({ ...env, GATEWAY_LOGIN_MAX_FAILURES: "0", GATEWAY_REVOCATION_POLL_MS: "5" }, "production"))
        .map((p) => p.split(":")[0])
        .sort(),
    ).toEqual(["GATEWAY_LOGIN_MAX_FAILURES", "GATEWAY_REVOCATION_POLL_MS"]);
  });
});

describe("GATEWAY_TLS_*", () => {
  const env = (over: Record<string, string>) => ({ ...base, GATEWAY_INVOICE_SECRET: INVOICE_SECRET, JWT_SECRET, ...over });
  const ca = pki.ca("config-ca");
  const server = pki.leaf(ca, "config-server", "server");
  const other = pki.leaf(ca, "config-other", "server");

  it("is off by default; a certificate and key turn it on, with a client CA mTLS", () => {
    expect(loadConfig(env({}), "production").tls).toBeUndefined();
    const c = loadConfig(
      env({
        GATEWAY_TLS_CERT_FILE: server.certFile,
        GATEWAY_TLS_KEY_FILE: server.keyFile,
        GATEWAY_TLS_CLIENT_CA_FILE: ca.certFile,
        GATEWAY_TLS_MANAGE_CLIENT_CERT: "true",
        GATEWAY_TLS_RELOAD_MS: "500",
        GATEWAY_HEALTH_GRPC_PORT: "9192",
      }),
      "production",
    );
    expect(c.tls).toEqual({
      certFile: server.certFile,
      keyFile: server.keyFile,
      clientCaFile: ca.certFile,
      reloadMs: 500,
      manageClientCert: true,
    });
    expect(c.healthGrpcPort).toBe(9192);
  });

  it("settings that need each other, unreadable files and a key that does not match are named", () => {
    expect(problemsOf(() => loadConfig(env({ GATEWAY_TLS_CERT_FILE: server.certFile }), "production"))).toEqual([
      "GATEWAY_TLS_CERT_FILE and GATEWAY_TLS_KEY_FILE go together: set both or neither",
    ]);
    expect(
      problemsOf(() => loadConfig(env({ GATEWAY_TLS_CLIENT_CA_FILE: ca.certFile, GATEWAY_TLS_MANAGE_CLIENT_CERT: "true" }), "production")),
    ).toHaveLength(2);
    expect(
      problemsOf(() =>
        loadConfig(
          env({ GATEWAY_TLS_CERT_FILE: server.certFile, GATEWAY_TLS_KEY_FILE: server.keyFile, GATEWAY_TLS_MANAGE_CLIENT_CERT: "yes" }),
          "production",
        ),
      ),
    ).toEqual([expect.stringMatching(/GATEWAY_TLS_MANAGE_CLIENT_CERT needs GATEWAY_TLS_CLIENT_CA_FILE/)]);
    expect(
      problemsOf(() =>
        loadConfig(env({ GATEWAY_TLS_CERT_FILE: join(dir, "nope.crt"), GATEWAY_TLS_KEY_FILE: server.keyFile }), "production"),
      ),
    ).toEqual([expect.stringMatching(/^GATEWAY_TLS_CERT_FILE: cannot read .*nope\.crt \(ENOENT\)$/)]);
    expect(
      problemsOf(() => loadConfig(env({ GATEWAY_TLS_CERT_FILE: server.certFile, GATEWAY_TLS_KEY_FILE: other.keyFile }), "production")),
    ).toEqual([expect.stringMatching(/are not usable: .*key values mismatch/)]);
    expect(
      problemsOf(() =>
        loadConfig(
          env({
            GATEWAY_TLS_CERT_FILE: server.certFile,
            GATEWAY_TLS_KEY_FILE: server.keyFile,
            GATEWAY_TLS_CLIENT_CA_FILE: file("not-pem", "hello"),
          }),
          "production",
        ),
      ),
    ).toHaveLength(1);
  });
});
