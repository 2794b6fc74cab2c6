import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { EmbeddedPostgresError, startEmbeddedPostgres, type EmbeddedPostgres } from "../../src/store/embedded.js";
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

describe("embedded postgres failures: one line with the cause and the fix", () => {
  it("a port already taken: EmbeddedPostgresError quoting the server's reason; nothing left behind", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gate402-emb-"));
    chmodSync(dir, 0o755);
    const holder = createServer();
    await new Promise<void>((r) => holder.listen(0, "127.0.0.1", () => r()));
    const port = (holder.address() as AddressInfo).port;
    try {
      const err = await startEmbeddedPostgres({ dataDir: join(dir, "pg"), port, ephemeral: true }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(EmbeddedPostgresError);
      expect((err as Error).message).toMatch(
        /^the Postgres server stopped at start \(exit \d+\): .*(could not bind|could not create any TCP\/IP sockets).*; /,
      );
      expect((err as Error).message).not.toContain("\n");
      expect(existsSync(join(dir, "pg"))).toBe(false);
    } finally {
      holder.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it("a data directory holding a cluster gate402 did not make is refused, naming it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gate402-emb-"));
    try {
      mkdirSync(join(dir, "pg"));
      writeFileSync(join(dir, "pg", "PG_VERSION"), "17\n");
      await expect(startEmbeddedPostgres({ dataDir: join(dir, "pg") })).rejects.toThrow(
        new RegExp(`^${join(dir, "pg")} holds a cluster gate402 did not create .*; choose another data directory`),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
