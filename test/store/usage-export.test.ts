/**
 * `gate402 export-usage` and `gate402 maintain` (src/cli/usage.ts): the usage detail leaves the database
 * exactly (NDJSON and CSV, amounts as uneutaro strings, [since, until) by time) before retention drops it.
 */
import { PassThrough } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runExportUsage, runMaintain } from "../../src/cli/usage.js";
import { createPgStore, type PgStore } from "../../src/store/pg-store.js";
import { freshDatabase, type TestDatabase } from "../support/db.js";
import { fund, newAccount, tally } from "./helpers.js";

let db: TestDatabase;
let store: PgStore;

beforeAll(async () => {
  db = await freshDatabase();
  store = createPgStore({
    databaseUrl: db.url,
    poolMax: 4,
    statementTimeoutMs: 60_000,
    connectTimeoutMs: 60_000,
    defaultDeadlineMs: 90_000,
    ledgerRollups: true,
  });
});
afterAll(async () => {
  await store?.close();
  await db?.drop();
});

function sink(): { out: PassThrough; text: () => string } {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on("data", (c: Buffer) => chunks.push(c));
  return { out, text: () => Buffer.concat(chunks).toString("utf8") };
}

describe("usage export and maintenance commands", () => {
  it("exports every call of the window as NDJSON and CSV, exactly", async () => {
    const acct = await newAccount(store);
    await fund(store, acct.clientId, 1_000_000_000_000n);
    const start = new Date(Date.now() - 1000);
    const outcomes = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        store.debit({
          clientId: acct.clientId,
          keyHash: acct.keyHash,
          amountMicro: 9_007_199_254n + BigInt(i),
          routeId: i === 0 ? 'a,"b"' : "r",
          method: "POST",
          ref: `x-${i}`,
        }),
      ),
    );
    expect(tally(outcomes)).toEqual({ applied: 30 });

    const nd = sink();
    expect(await runExportUsage(db.url, { since: start, format: "ndjson" }, nd.out)).toBe(0);
    const rows = nd
      .text()
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, string>);
    expect(rows).toHaveLength(30);
    expect(rows.map((r) => r.decisionId).sort()).toEqual(Array.from({ length: 30 }, (_, i) => `x-${i}`).sort());
    expect(rows.reduce((s, r) => s + BigInt(r.amountMicro!), 0n)).toBe(30n * 9_007_199_254n + 435n);
    expect(rows.find((r) => r.decisionId === "x-0")).toMatchObject({
      clientId: acct.clientId,
      routeId: 'a,"b"',
      method: "POST",
      amountMicro: "9007199254",
    });

    const csv = sink();
    expect(await runExportUsage(db.url, { since: start, format: "csv" }, csv.out)).toBe(0);
    const lines = csv.text().trimEnd().split("\n");
    expect(lines[0]).toBe("decision_id,client_id,route_id,method,amount_micro,ledger_seq,created_at");
    expect(lines).toHaveLength(31);
    expect(lines.find((l) => l.startsWith("x-0,"))).toMatch(new RegExp(`^x-0,${acct.clientId},"a,""b""",POST,9007199254,\\d+,\\d{4}-`));

    const none = sink();
    expect(await runExportUsage(db.url, { since: new Date(Date.now() + 60_000), format: "ndjson" }, none.out)).toBe(0);
    expect(none.text()).toBe("");
    const before = sink();
    expect(await runExportUsage(db.url, { since: new Date(0), until: start, format: "csv" }, before.out)).toBe(0);
    expect(before.text().trimEnd().split("\n")).toHaveLength(1);
  }, 60_000);

  it("maintain prints what it did as one JSON line; an unreachable database is exit 2", async () => {
    const m = sink();
    expect(await runMaintain(db.url, 7, m.out)).toBe(0);
    expect(JSON.parse(m.text())).toEqual({ ok: true, ran: true, created: [], dropped: [], closedPeriods: 0 });
    const bad = sink();
    expect(await runMaintain("postgres://postgres@127.0.0.1:1/none", 7, bad.out)).toBe(2);
    expect(JSON.parse(bad.text())).toMatchObject({ ok: false, error: "STORE_UNAVAILABLE" });
  }, 60_000);
});
