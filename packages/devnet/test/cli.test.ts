import { StargateClient } from "@cosmjs/stargate";
import { afterEach, describe, expect, it, vi } from "vitest";
import { runDevnetCli } from "../src/index.js";

describe("devnet CLI", () => {
  afterEach(() => vi.restoreAllMocks());

  it("prints a working RPC URL, the chain id and funded wallets, applies fault flags, and stops on SIGINT", async () => {
    const lines: string[] = [];
    vi.spyOn(console, "log").mockImplementation((...args: unknown[]) => void lines.push(args.join(" ")));
    const running = runDevnetCli([
      "--port",
      "0",
      "--block-time-ms",
      "0",
      "--chain-id",
      "cli-chain-3",
      "--accounts",
      "3",
      "--index-lag-blocks",
      "2",
    ]);
    for (let i = 0; i < 100 && !lines.some((l) => l.includes("wallet2")); i++) await new Promise((r) => setTimeout(r, 50));
    const url = /devnet RPC:\s+(http:\/\/\S+)/.exec(lines.join("\n"))?.[1];
    expect(url).toBeDefined();
    expect(lines.join("\n")).toContain("cli-chain-3");
    expect(lines.join("\n")).toContain('"indexLagBlocks":2');
    const client = await StargateClient.connect(url!);
    expect(await client.getChainId()).toBe("cli-chain-3");
    const address = /wallet1\s+(neutaro1\w+)/.exec(lines.join("\n"))?.[1];
    expect(BigInt((await client.getBalance(address!, "uneutaro")).amount)).toBeGreaterThan(0n);
    client.disconnect();
    process.emit("SIGINT");
    await running;
    await expect(fetch(url!)).rejects.toThrow();
  });
});
