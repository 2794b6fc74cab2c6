import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../../src/config/load.js";

const ADDRESS = "neutaro1w8xkwq5cdrqqx2lqe3m6ddvzq5t7yfc8f4fpgm";
const COSMOS = "cosmos1qurswpc8qurswpc8qurswpc8qurswpc8nn86qp";
const OSMO = "osmo1pyysjzgfpyysjzgfpyysjzgfpyysjzgf4q8lct";
const SECRETS = {
  GATEWAY_INVOICE_SECRET: "9f2c4e7a1b3d5f60718293a4b5c6d7e8f9012a3b4c5d6e7f8091a2b3c4d5e6f7",
  JWT_SECRET: "c0ffee00deadbeef1234567890abcdef0fedcba98765",
};

const hub = {
  id: "cosmos:cosmoshub-4",
  rpc: ["http://127.0.0.1:1", "http://127.0.0.1:2"],
  bech32Prefix: "cosmos",
  payTo: COSMOS,
  denom: "uatom",
};
const osmo = { id: "cosmos:osmosis-1", rpc: "http://127.0.0.1:3", bech32Prefix: "osmo", payTo: OSMO, denom: "uosmo", confirmations: 3 };

const load = (over: Record<string, string | undefined>) =>
  loadConfig({ GATEWAY_PAYMENT_ADDRESS: ADDRESS, ...SECRETS, ...over }, "production");

function problemsOf(over: Record<string, string | undefined>): readonly string[] {
  try {
    load(over);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error("expected a ConfigError");
}

describe("networks (GATEWAY_NETWORKS)", () => {
  it("without GATEWAY_NETWORKS the only network is the primary, built from GATEWAY_CHAIN_ID & co.", () => {
    const c = load({ GATEWAY_RPC: "http://a:1,http://b:2", GATEWAY_MIN_CONFIRMATIONS: "2" });
    expect(c.networks).toEqual([
      {
        id: "cosmos:Neutaro-1",
        chainId: "Neutaro-1",
        rpcUrls: ["http://a:1", "http://b:2"],
        bech32Prefix: "neutaro",
        payTo: ADDRESS,
        denom: "uneutaro",
        minConfirmations: 2,
        primary: true,
      },
    ]);
    expect(Object.isFrozen(c.networks[0])).toBe(true);
  });

  it("additional networks follow the primary in order, with failover lists, prefixes and confirmations", () => {
    const c = load({ GATEWAY_NETWORKS: JSON.stringify([hub, osmo]) });
    expect(c.networks.map((n) => n.id)).toEqual(["cosmos:Neutaro-1", "cosmos:cosmoshub-4", "cosmos:osmosis-1"]);
    expect(c.networks[1]).toEqual({
      id: "cosmos:cosmoshub-4",
      chainId: "cosmoshub-4",
      rpcUrls: hub.rpc,
      bech32Prefix: "cosmos",
      payTo: COSMOS,
      denom: "uatom",
      minConfirmations: 1,
      primary: false,
    });
    expect(c.networks[2]).toMatchObject({ rpcUrls: ["http://127.0.0.1:3"], minConfirmations: 3, primary: false });
    expect(c.network).toBe("cosmos:Neutaro-1"); // the primary's settings are unchanged
  });

  it("the file variant takes YAML (or JSON); setting both variables is an error", () => {
    const dir = mkdtempSync(join(tmpdir(), "gate402-networks-"));
    try {
      const file = join(dir, "networks.yaml");
      writeFileSync(
        file,
        `- id: "cosmos:osmosis-1"\n  rpc: [http://127.0.0.1:3]\n  bech32Prefix: osmo\n  payTo: ${OSMO}\n  denom: uosmo\n`,
      );
      expect(load({ GATEWAY_NETWORKS_FILE: file }).networks[1]).toMatchObject({ id: "cosmos:osmosis-1", payTo: OSMO });
      expect(problemsOf({ GATEWAY_NETWORKS_FILE: file, GATEWAY_NETWORKS: JSON.stringify([hub]) }).join("\n")).toMatch(
        /GATEWAY_NETWORKS and GATEWAY_NETWORKS_FILE: set one or neither/,
      );
      expect(problemsOf({ GATEWAY_NETWORKS_FILE: join(dir, "missing.yaml") }).join("\n")).toMatch(/GATEWAY_NETWORKS_FILE: cannot read/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("every problem is reported together, with the entry and field, beside the other settings' problems", () => {
    const bad = [
      { ...hub, payTo: OSMO }, // prefix mismatch
      { ...osmo, id: "cosmos:Neutaro-1" }, // the primary's id
      { ...osmo, id: "eip155:1", rpc: ["ftp://x"], denom: "x", confirmations: 0 },
      { ...hub, payTo: "cosmos1notbech32" },
      { ...hub, extra: true },
    ];
    const problems = problemsOf({ GATEWAY_NETWORKS: JSON.stringify(bad), GATEWAY_GRPC_PORT: "99999" }).join("\n");
    expect(problems).toMatch(/GATEWAY_GRPC_PORT/);
    expect(problems).toMatch(/GATEWAY_NETWORKS\.0\.payTo: .*has prefix "osmo", bech32Prefix is "cosmos"/);
    expect(problems).toMatch(/GATEWAY_NETWORKS\.2\.id: must be a CAIP-2 Cosmos id/);
    expect(problems).toMatch(/GATEWAY_NETWORKS\.2\.rpc\.0: must be an http\(s\) URL/);
    expect(problems).toMatch(/GATEWAY_NETWORKS\.2\.denom: must be a Cosmos SDK denom/);
    expect(problems).toMatch(/GATEWAY_NETWORKS\.2\.confirmations/);
    expect(problems).toMatch(/GATEWAY_NETWORKS\.3\.payTo: .*is not a bech32 address/);
    expect(problems).toMatch(/GATEWAY_NETWORKS\.4.*extra/);
  });

  it("ids and pay-to addresses are unique across networks, the primary's included", () => {
    const dupId = problemsOf({
      GATEWAY_NETWORKS: JSON.stringify([osmo, { ...osmo, payTo: "osmo1qurswpc8qurswpc8qurswpc8qurswpc8mg52kn" }]),
    });
    expect(dupId.join("\n")).toMatch(/GATEWAY_NETWORKS\.1\.id: "cosmos:osmosis-1" is listed twice/);
    const primaryId = problemsOf({ GATEWAY_NETWORKS: JSON.stringify([{ ...osmo, id: "cosmos:Neutaro-1" }]) });
    expect(primaryId.join("\n")).toMatch(/GATEWAY_NETWORKS\.0\.id: "cosmos:Neutaro-1" is the primary network \(GATEWAY_CHAIN_ID\)/);
    const sameAddress = problemsOf({ GATEWAY_NETWORKS: JSON.stringify([hub, { ...hub, id: "cosmos:other-1" }]) });
    expect(sameAddress.join("\n")).toMatch(/GATEWAY_NETWORKS\.1\.payTo: .* already receives payments on cosmos:cosmoshub-4/);
  });

  it("GATEWAY_NETWORKS that is not JSON, or not a list, is a clear problem", () => {
    expect(problemsOf({ GATEWAY_NETWORKS: "[{" }).join("\n")).toMatch(/GATEWAY_NETWORKS: not JSON/);
    expect(problemsOf({ GATEWAY_NETWORKS: "{}" }).join("\n")).toMatch(/GATEWAY_NETWORKS: .*array/i);
    expect(load({ GATEWAY_NETWORKS: "" }).networks).toHaveLength(1);
  });
});
