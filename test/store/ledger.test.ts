import { randomBytes, randomInt } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { ledgerEntryHash, ledgerGenesisHash, type LedgerHashFields } from "../../src/store/ledger-hash.js";
import { verifyLedger } from "../../src/store/ledger-verify.js";
import { createPgStore, type PgStore } from "../../src/store/pg-store.js";
import { freshDatabase, type TestDatabase } from "../support/db.js";
import { fund, newAccount } from "./helpers.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

// The per-call mode (GATEWAY_LEDGER_ROLLUPS=false): every debit is its own v1-hashed entry, so tampering
// with any one of them shows at that seq. Period rollups are verified in usage-periods.test.ts.
async function setup(): Promise<PgStore> {
  const db: TestDatabase = await freshDatabase();
  const store = createPgStore({ databaseUrl: db.url, statementTimeoutMs: 10_000, connectTimeoutMs: 30_000, ledgerRollups: false });
  cleanups.push(
    () => db.drop(),
    () => store.close(),
  );
  return store;
}

const ODD = [
  "",
  "|",
  "1:|",
  "-",
  "a|b:c",
  "naïve",
  "日本語",
  "emoji 🧾💸",
  "quote ' \" \\",
  "line\nbreak\ttab",
  "e\u0301",
  "\u202Eltr",
  "%s$1",
];

function pick<T>(xs: readonly T[]): T {
  return xs[randomInt(xs.length)] as T;
}

function maybe(): string | null {
  const r = randomInt(4);
  return r === 0 ? null : r === 1 ? pick(ODD) : randomBytes(randomInt(1, 40)).toString("base64");
}

function randomFields(i: number): LedgerHashFields {
  return {
    clientId: i % 3 === 0 ? pick(ODD.filter((s) => s !== "")) : `client-${i}`,
    seq: BigInt(randomInt(1, 2 ** 40)),
    kind: pick(["deposit", "debit", "credit", "refund", "adjustment", "transfer_in", "transfer_out"]),
    amountMicro: i % 50 === 0 ? -(2n ** 63n) : BigInt(randomInt(-(2 ** 46), 2 ** 46)) * (i % 5 === 0 ? 1000n : 1n),
    balanceAfterMicro: i % 50 === 1 ? 2n ** 63n - 1n : BigInt(randomInt(0, 2 ** 46)) * 1000n,
    ref: maybe(),
    routeId: maybe(),
    method: maybe(),
    txHash: i % 2 ? randomBytes(32).toString("hex").toUpperCase() : null,
    // millisecond precision, as the store writes created_at; years 1970–2100
    createdAt: new Date(randomInt(0, 4_102_444_800_000)),
  };
}

describe("ledger hash chain", () => {
  it("the SQL and JS entry hashes agree on 300 entries with NULLs and odd characters", async () => {
    const store = await setup();
    const cases = Array.from({ length: 300 }, (_, i) => ({
      prev: i % 7 ? randomBytes(32).toString("hex") : pick(ODD),
      f: randomFields(i),
    }));
    const res = await store.pool.query<{ h: string }>(
      `SELECT ledger_entry_hash(prev, client_id, seq::bigint, kind, amount::bigint, balance::bigint, ref, route_id,
                                method, tx_hash, created_at::timestamptz) AS h
         FROM json_to_recordset($1::json) AS t(i int, prev text, client_id text, seq text, kind text, amount text,
              balance text, ref text, route_id text, method text, tx_hash text, created_at text)
        ORDER BY i`,
      [
        JSON.stringify(
          cases.map(({ prev, f }, i) => ({
            i,
            prev,
            client_id: f.clientId,
            seq: f.seq.toString(),
            kind: f.kind,
            amount: f.amountMicro.toString(),
            balance: f.balanceAfterMicro.toString(),
            ref: f.ref,
            route_id: f.routeId,
            method: f.method,
            tx_hash: f.txHash,
            created_at: f.createdAt.toISOString(),
          })),
        ),
      ],
    );
    expect(res.rows.map((r) => r.h)).toEqual(cases.map(({ prev, f }) => ledgerEntryHash(prev, f)));
  });

  it("the SQL and JS genesis hashes agree", async () => {
    const store = await setup();
    for (const id of ["client-1", ...ODD]) {
      const res = await store.pool.query<{ h: string }>("SELECT ledger_genesis_hash($1) AS h", [id]);
      expect(res.rows[0]?.h).toBe(ledgerGenesisHash(id));
    }
  });

  it("a NULL field and the text '-' hash differently", () => {
    const f = randomFields(1);
    expect(ledgerEntryHash("p", { ...f, ref: null })).not.toBe(ledgerEntryHash("p", { ...f, ref: "-" }));
    expect(ledgerEntryHash("p", { ...f, ref: "a", routeId: "" })).not.toBe(ledgerEntryHash("p", { ...f, ref: "", routeId: "a" }));
  });
});

async function ledgerWithEntries(store: PgStore): Promise<string> {
  const acct = await newAccount(store);
  await fund(store, acct.clientId, 10_000n);
  for (let i = 0; i < 4; i++) {
    await store.debit({ clientId: acct.clientId, keyHash: acct.keyHash, amountMicro: 100n, routeId: "r", method: "GET", ref: `d${i}` });
  }
  await newAccount(store); // an account without entries must verify too
  await store.pool.query("ALTER TABLE ledger_entries DISABLE TRIGGER ledger_entries_append_only");
  return acct.clientId;
}

describe("ledger verification", () => {
  it("an untouched ledger verifies, counting accounts and entries", async () => {
    const store = await setup();
    await ledgerWithEntries(store);
    expect(await verifyLedger(store)).toEqual({ ok: true, accounts: 2, entries: 5 });
    expect(await verifyLedger(store.pool)).toEqual({ ok: true, accounts: 2, entries: 5 });
  });

  it("editing an entry's amount is caught as hash_mismatch at that entry", async () => {
    const store = await setup();
    const clientId = await ledgerWithEntries(store);
    await store.pool.query("UPDATE ledger_entries SET amount_micro = -1 WHERE client_id = $1 AND seq = 3", [clientId]);
    expect(await verifyLedger(store)).toEqual({ ok: false, clientId, seq: 3n, problem: "hash_mismatch" });
  });

  it("deleting the newest entry is caught as head_mismatch", async () => {
    const store = await setup();
    const clientId = await ledgerWithEntries(store);
    await store.pool.query("DELETE FROM ledger_entries WHERE client_id = $1 AND seq = 5", [clientId]);
    expect(await verifyLedger(store)).toEqual({ ok: false, clientId, seq: 5n, problem: "head_mismatch" });
  });

  it("deleting an entry in the middle is caught as seq_gap", async () => {
    const store = await setup();
    const clientId = await ledgerWithEntries(store);
    await store.pool.query("DELETE FROM ledger_entries WHERE client_id = $1 AND seq = 2", [clientId]);
    expect(await verifyLedger(store)).toEqual({ ok: false, clientId, seq: 2n, problem: "seq_gap" });
  });

  it("a balance changed outside the ledger is caught as balance_mismatch", async () => {
    const store = await setup();
    const clientId = await ledgerWithEntries(store);
    await store.pool.query("UPDATE prepaid_accounts SET balance_micro = balance_micro + 1 WHERE client_id = $1", [clientId]);
    expect(await verifyLedger(store)).toEqual({ ok: false, clientId, seq: 5n, problem: "balance_mismatch" });
  });
});
