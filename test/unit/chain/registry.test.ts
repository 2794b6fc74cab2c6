import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { createChainRegistry, UnknownNetworkError, type ChainRegistry } from "../../../src/chain/registry.js";
import type { NetworkConfig } from "../../../src/config/networks.js";
import { createMetrics } from "../../../src/observability/metrics.js";
import { ChainUnavailableError } from "../../../src/ports/errors.js";

// Port 1 on 127.0.0.1 refuses connections at once: an unreachable chain without touching the network.
const net = (id: string, primary: boolean): NetworkConfig => ({
  id,
  chainId: id.slice(7),
  rpcUrls: ["http://127.0.0.1:1"],
  bech32Prefix: "cosmos",
  payTo: `${id}-addr`,
  denom: "uatom",
  minConfirmations: 1,
  primary,
});

describe("chain registry", () => {
  let reg: ChainRegistry | undefined;
  afterEach(() => reg?.stop());

  it("one stack per network, the primary first, looked up by CAIP-2 id", () => {
    const metrics = createMetrics();
    reg = createChainRegistry([net("cosmos:b-2", false), net("cosmos:A-1", true)], {
      deadlineMs: 200,
      metrics,
      log: pino({ level: "silent" }),
    });
    expect(reg.primary.network.id).toBe("cosmos:A-1");
    expect(reg.all().map((n) => n.network.id)).toEqual(["cosmos:A-1", "cosmos:b-2"]);
    expect(reg.get("cosmos:b-2")?.network.primary).toBe(false);
    expect(reg.get("cosmos:nope")).toBeUndefined();
    expect(() => reg!.require("cosmos:nope")).toThrow(UnknownNetworkError);
    expect(() => reg!.available("cosmos:nope")).toThrow(UnknownNetworkError);
    expect(reg.all()[0]!.chain).not.toBe(reg.all()[1]!.chain);
  });

  it("an unreachable network is unavailable with the reason, reported per network in gauges labelled by configured ids", async () => {
    const metrics = createMetrics();
    reg = createChainRegistry([net("cosmos:A-1", true), net("cosmos:b-2", false)], {
      deadlineMs: 200,
      metrics,
      log: pino({ level: "silent" }),
      pollMs: 50,
    });
    const r = reg;
    await expect.poll(() => r.availability().every((a) => a.checkedAt !== undefined), { timeout: 5000 }).toBe(true);
    for (const a of r.availability()) {
      expect(a).toMatchObject({ available: false, height: 0, endpoints: [{ url: "http://127.0.0.1:1", health: "ok" }] });
      expect(a.error).toMatch(/chain unavailable/);
    }
    const up = (await metrics.networkUp.get()).values.map((v) => [v.labels.network, v.value]);
    expect(up).toEqual([
      ["cosmos:A-1", 0],
      ["cosmos:b-2", 0],
    ]);
    // gate402_chain_latest_height keeps its single series: only the primary would set it.
    expect((await metrics.chainHeight.get()).values.every((v) => v.value === 0)).toBe(true);
  });

  it("withDeadline gives one port per deadline over the same endpoints, following the stack's health verdicts", async () => {
    reg = createChainRegistry([net("cosmos:A-1", true)], { deadlineMs: 200, metrics: createMetrics(), log: pino({ level: "silent" }) });
    const p = reg.primary;
    const scan = p.withDeadline(1000);
    expect(p.withDeadline(1000)).toBe(scan);
    expect(p.withDeadline(2000)).not.toBe(scan);
    p.resilient.setHealth("http://127.0.0.1:1", "excluded");
    await expect(scan.latestHeight()).rejects.toThrow(/no usable RPC endpoint/);
    await expect(scan.latestHeight()).rejects.toBeInstanceOf(ChainUnavailableError);
  });
});
