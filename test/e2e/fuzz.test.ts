/**
 * The bounded bad-input suite (issue #10): ~10k seeded random requests over gRPC Check, /auth/forward,
 * /ext-authz/* and the HTTP API against a real gateway (Postgres, devnet). `npm run fuzz` runs the same
 * generator for ≥ 100k inputs and reports RSS.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runFuzz } from "../../bench/fuzz-inputs.js";
import { FUZZ_ROUTES, fuzzTarget } from "../../bench/fuzz-setup.js";
import { checkClient, type ExtAuthzClient } from "../support/extauthz-client.js";
import { startStack, type Stack } from "../support/stack.js";

let stack: Stack;
let grpc: ExtAuthzClient;
beforeAll(async () => {
  stack = await startStack({ env: { GATEWAY_ROUTES: FUZZ_ROUTES } });
  grpc = checkClient(`127.0.0.1:${stack.gw.grpcPort}`);
});
afterAll(async () => {
  grpc?.close();
  await stack?.stop();
});

const INPUTS = Number(process.env["FUZZ_TEST_INPUTS"] ?? 10_000);

describe("fuzz: hostile input on every surface", () => {
  it(`${INPUTS} random requests: 0 crashes, 0 gRPC errors or 5xx, 0 allows without a valid payment`, async () => {
    const target = await fuzzTarget(grpc, stack.gw.httpPort, (to, amount, memo) => stack.agent.send(to, amount, memo));
    const report = await runFuzz(target, { inputs: INPUTS, seed: 0x402, concurrency: 16 });
    expect(report.examples).toEqual([]);
    expect(report.failures).toBe(0);
    expect(report.inputs).toBe(INPUTS);
    // Every surface was exercised, and the gate answered with its own 400s and 402s.
    for (const surface of ["grpc", "forward-auth", "ext-authz"]) {
      for (const answer of [
        "400 INVALID_REQUEST",
        "400 INVALID_PROOF",
        "402 PAYMENT_REQUIRED",
        "402 PROOF_ALREADY_USED",
        "401 INVALID_CLIENT_CREDENTIALS",
      ]) {
        expect(report.statuses[`${surface} ${answer}`] ?? 0, `${surface} ${answer}`).toBeGreaterThan(0);
      }
    }
    // The gateway still serves after the storm.
    expect((await fetch(`${stack.gw.httpUrl}/health`)).status).toBe(200);
  }, 600_000);
});
