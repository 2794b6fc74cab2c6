import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkClient, type ExtAuthzClient } from "../support/extauthz-client.js";
import { deniedBody, deniedHeaders, envoyCheck, httpStatus } from "../support/check-request.js";
import { startStack, type Stack } from "../support/stack.js";

let stack: Stack;
let client: ExtAuthzClient;

beforeAll(async () => {
  stack = await startStack({ env: { GATEWAY_RATE_LIMIT_PER_SEC: "1", GATEWAY_RATE_LIMIT_BURST: "3" } });
  client = checkClient(`127.0.0.1:${stack.gw.grpcPort}`);
});
afterAll(async () => {
  client?.close();
  await stack?.stop();
});

/** A well-formed tx hash that pays nothing: every one forces a chain lookup. */
const randomProof = (sourceAddress?: string) =>
  envoyCheck({
    headers: { "x-payment-proof": randomBytes(32).toString("hex").toUpperCase() },
    ...(sourceAddress ? { sourceAddress } : {}),
  });

describe("chain-lookup rate limit through gRPC Check (burst 3, 1 per second)", () => {
  it("three random tx hashes are looked up; the fourth is 429 RATE_LIMITED with Retry-After; other sources, plain 402s and a later proof still work", async () => {
    for (let i = 0; i < 3; i++) {
      const res = await client.check(randomProof());
      expect(httpStatus(res)).toBe(402);
      expect(deniedBody(res).error).toBe("PAYMENT_NOT_FOUND");
    }

    const limited = await client.check(randomProof());
    expect(httpStatus(limited)).toBe(429);
    expect(deniedBody(limited)).toEqual({ error: "RATE_LIMITED", message: expect.any(String) });
    const retryAfter = Number(deniedHeaders(limited)["retry-after"]);
    expect(Number.isInteger(retryAfter) && retryAfter >= 1).toBe(true);

    const other = await client.check(randomProof("10.0.0.8"));
    expect(deniedBody(other).error).toBe("PAYMENT_NOT_FOUND");

    const plain = await client.check(envoyCheck());
    expect(httpStatus(plain)).toBe(402);
    expect(deniedBody(plain).error).toBe("PAYMENT_REQUIRED");

    await new Promise((r) => setTimeout(r, 1_100));
    const again = await client.check(randomProof());
    expect(httpStatus(again)).toBe(402);
    expect(deniedBody(again).error).toBe("PAYMENT_NOT_FOUND");
  });
});
