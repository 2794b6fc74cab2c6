import { describe, expect, it } from "vitest";
import { checkNodes, NodeCheckError, type StatusSource } from "../../../src/chain/health.js";
import { ResilientChain, type EndpointHealth } from "../../../src/chain/resilient.js";
import type { ChainPort } from "../../../src/ports/chain.js";

type Status = Awaited<ReturnType<StatusSource["nodeStatus"]>>;
const good: Status = { chainId: "Neutaro-1", txIndex: true, catchingUp: false, height: 1000 };
const node = (rpcUrl: string, s: Status | Error): StatusSource => ({
  rpcUrl,
  nodeStatus: async () => {
    if (s instanceof Error) throw s;
    return s;
  },
});

function nodes(...eps: StatusSource[]) {
  const verdicts = new Map<string, EndpointHealth>();
  return { verdicts, set: { endpoints: eps, resilient: { setHealth: (n: string, h: EndpointHealth) => void verdicts.set(n, h) } } };
}
const prod = { chainId: "Neutaro-1", mode: "production" };

describe("checkNodes", () => {
  it("healthy endpoints pass and are marked ok", async () => {
    const { set, verdicts } = nodes(node("http://a", good), node("http://b", { ...good, height: 998 }));
    await checkNodes(set, prod);
    expect([...verdicts]).toEqual([
      ["http://a", "ok"],
      ["http://b", "ok"],
    ]);
  });
  it("a node on another chain, with tx indexing off or catching up stops production start-up naming each problem", async () => {
    const { set, verdicts } = nodes(
      node("http://a", { ...good, chainId: "other-1" }),
      node("http://b", { ...good, txIndex: false }),
      node("http://c", { ...good, catchingUp: true }),
      node("http://d", good),
    );
    const err = await checkNodes(set, prod).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NodeCheckError);
    const problems = (err as NodeCheckError).problems.join("\n");
    expect(problems).toMatch(/http:\/\/a: chain id is "other-1", GATEWAY_CHAIN_ID is "Neutaro-1"/);
    expect(problems).toMatch(/http:\/\/b: tx indexing is off/);
    expect(problems).toMatch(/http:\/\/c: node is catching up/);
    expect(Object.fromEntries(verdicts)).toEqual({
      "http://a": "excluded",
      "http://b": "excluded",
      "http://c": "degraded",
      "http://d": "ok",
    });
  });
  it("in dev mode the same problems are only reported, not thrown", async () => {
    const { set } = nodes(node("http://a", { ...good, chainId: "other-1" }));
    const reports = await checkNodes(set, { chainId: "Neutaro-1", mode: "dev" });
    expect(reports[0]).toMatchObject({ health: "excluded" });
  });
  it("an unreachable endpoint is degraded; none answering is fatal in production", async () => {
    const one = nodes(node("http://a", new Error("ECONNREFUSED")), node("http://b", good));
    await checkNodes(one.set, prod);
    expect(one.verdicts.get("http://a")).toBe("degraded");
    const none = nodes(node("http://a", new Error("ECONNREFUSED")));
    await expect(checkNodes(none.set, prod)).rejects.toThrow(/no RPC endpoint answered/);
  });
  it("an endpoint far behind the others is degraded", async () => {
    const { set, verdicts } = nodes(node("http://a", { ...good, height: 900 }), node("http://b", good));
    await checkNodes(set, prod);
    expect(verdicts.get("http://a")).toBe("degraded");
  });
});

describe("ResilientChain endpoint health", () => {
  const port = (name: string, calls: string[]): ChainPort => ({
    getTx: async () => null,
    searchByRecipient: async () => [],
    blockTime: async () => new Date(0),
    latestHeight: async () => {
      calls.push(name);
      return 1;
    },
  });
  it("an excluded endpoint is never asked, a degraded one only after the healthy ones", async () => {
    const calls: string[] = [];
    const chain = new ResilientChain(
      [
        { port: port("a", calls), name: "a" },
        { port: port("b", calls), name: "b" },
        { port: port("c", calls), name: "c" },
      ],
      { deadlineMs: 500 },
    );
    chain.setHealth("a", "excluded");
    chain.setHealth("b", "degraded");
    await chain.latestHeight();
    expect(calls).toEqual(["c"]);
  });
  it("when every endpoint is excluded calls fail as chain unavailable", async () => {
    const chain = new ResilientChain([{ port: port("a", []), name: "a" }], { deadlineMs: 500 });
    chain.setHealth("a", "excluded");
    await expect(chain.latestHeight()).rejects.toThrow(/no usable RPC endpoint/);
  });
});
