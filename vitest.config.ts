import { defineConfig } from "vitest/config";

// Integration suites start real Postgres, devnet and gRPC servers: give them room, and run files
// in forks so a crashed server cannot take the runner down.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    pool: "forks",
    testTimeout: 60_000,
    hookTimeout: 120_000,
    maxWorkers: 2,
  },
});
