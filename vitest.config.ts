import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const devnet = (file: string) => fileURLToPath(new URL(`./packages/devnet/src/${file}`, import.meta.url));

// Integration suites start real Postgres, devnet and gRPC servers: give them room, and run files
// in forks so a crashed server cannot take the runner down.
export default defineConfig({
  // The devnet workspace package from its sources, so tests need no build of it (the CLI and the image use dist/).
  resolve: {
    alias: [
      { find: /^@gate402\/devnet\/cli$/, replacement: devnet("cli.ts") },
      { find: /^@gate402\/devnet$/, replacement: devnet("index.ts") },
    ],
  },
  test: {
    include: ["test/**/*.test.ts", "packages/devnet/test/**/*.test.ts"],
    pool: "forks",
    testTimeout: 60_000,
    hookTimeout: 120_000,
    maxWorkers: 2,
  },
});
