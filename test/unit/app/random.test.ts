import { describe, expect, it } from "vitest";
import { pooledNonce } from "../../../src/app/random.js";

describe("pooledNonce", () => {
  it("yields URL-safe 12-character nonces that do not repeat across pool refills", () => {
    const next = pooledNonce(9, 64); // a tiny pool forces many refills
    const seen = new Set<string>();
    for (let i = 0; i < 5000; i++) {
      const n = next();
      expect(n).toMatch(/^[A-Za-z0-9_-]{12}$/);
      seen.add(n);
    }
    expect(seen.size).toBe(5000);
  });
});
