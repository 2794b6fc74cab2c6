import { chmodSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startEmbeddedPostgres, type EmbeddedPostgres } from "../../src/store/embedded.js";
import { migrate } from "../../src/store/migrate.js";
import { createPgStore } from "../../src/store/pg-store.js";
import { fund, newAccount } from "./helpers.js";

let server: EmbeddedPostgres | undefined;
let parent: string | undefined;
afterAll(async () => {
  await server?.stop();
  if (parent) rmSync(parent, { recursive: true, force: true });
});

describe("embedded postgres", () => {
  it("starts in an empty directory, restarts on the same data, migrates and serves the store", async () => {
    parent = mkdtempSync(join(tmpdir(), "gate402-emb-"));
    chmodSync(parent, 0o755); // as root, the server runs as "postgres" and must reach dataDir
    const dataDir = join(parent, "pg");
    server = await startEmbeddedPostgres({ dataDir });
    expect(server.databaseUrl).toMatch(/^postgres:\/\/postgres:.+@127\.0\.0\.1:\d+\/gate402$/);
    await migrate(server.databaseUrl);
    let store = createPgStore({ databaseUrl: server.databaseUrl });
    const acct = await newAccount(store);
    await fund(store, acct.clientId, 777n);
    await store.close();
    await server.stop();

    // Second start on the same directory: no initdb, same password, data still there.
    server = await startEmbeddedPostgres({ dataDir, ephemeral: true });
    await migrate(server.databaseUrl);
    store = createPgStore({ databaseUrl: server.databaseUrl });
    try {
      expect((await store.getAccount(acct.clientId))?.balanceMicro).toBe(777n);
    } finally {
      await store.close();
    }
    await server.stop();
    server = undefined;
    expect(existsSync(dataDir)).toBe(false);
  }, 120_000);
});
