/**
 * docs/design.md "Error codes" against the error catalogue (src/core/catalogue.ts): every code of each
 * table is documented with the catalogue's status (and gRPC code, exit code), and the docs name no code
 * the catalogue lacks.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { API_ERRORS, DECISION_ERRORS, EXIT_CODES, rpcCodeNameForDeny, type ApiErrorEntry } from "../../src/core/catalogue.js";

const design = readFileSync(resolve(import.meta.dirname, "..", "..", "docs", "design.md"), "utf8");
const section = design.slice(design.indexOf("### Error codes"), design.indexOf("### Invoices"));

/** The rows (cells, trimmed) of the markdown table whose header row is `header`. */
function table(header: string): string[][] {
  const lines = section.split("\n");
  const at = lines.findIndex((l) => l.trim() === header);
  expect(at, `table "${header}" in docs/design.md "Error codes"`).toBeGreaterThanOrEqual(0);
  const rows: string[][] = [];
  for (const line of lines.slice(at + 2)) {
    if (!line.startsWith("|")) break;
    rows.push(
      line
        .slice(1, -1)
        .split(/(?<!\\)\|/)
        .map((c) => c.trim()),
    );
  }
  return rows;
}

/** Upper-case codes written as code spans in a cell, outside parentheses (which explain them). */
const codesIn = (cell: string) => [...cell.replace(/\([^)]*\)/g, "").matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1]!);
/** HTTP statuses written in a cell, in order. */
const statusesIn = (cell: string) => [...cell.matchAll(/\b([1-5]\d\d)\b/g)].map((m) => Number(m[1]));

describe("docs/design.md error tables match src/core/catalogue.ts", () => {
  it("decision path: every code once, with its status and gRPC code; no other codes", () => {
    const documented = new Map<string, { status: number; grpc: string }>();
    for (const [codes, status, grpc] of table("| code | status | gRPC |")) {
      for (const code of codesIn(codes!)) {
        expect(documented.has(code), `${code} documented twice`).toBe(false);
        documented.set(code, { status: statusesIn(status!)[0]!, grpc: grpc!.replace(/`/g, "") });
      }
    }
    expect([...documented.keys()].sort()).toEqual(Object.keys(DECISION_ERRORS).sort());
    for (const [code, e] of Object.entries(DECISION_ERRORS)) {
      expect(documented.get(code), code).toEqual({ status: e.status, grpc: rpcCodeNameForDeny(e.status) });
    }
  });

  it("HTTP API: every code once, with its statuses; no other codes", () => {
    const documented = new Map<string, number[]>();
    for (const [code, status] of table("| code | status | where | meaning |")) {
      const [name, ...more] = codesIn(code!);
      expect(name && more.length === 0, `one code per row: ${code}`).toBe(true);
      expect(documented.has(name!), `${name} documented twice`).toBe(false);
      documented.set(name!, statusesIn(status!));
    }
    expect([...documented.keys()].sort()).toEqual(Object.keys(API_ERRORS).sort());
    for (const [code, e] of Object.entries(API_ERRORS) as [string, ApiErrorEntry][]) {
      expect(documented.get(code), code).toEqual([e.status, ...(e.also ?? [])]);
    }
  });

  it("command line: every exit code name with its number; no other names", () => {
    const documented = new Map(table("| exit | name | meaning |").map(([exit, name]) => [codesIn(name!)[0]!, Number(exit)]));
    expect(Object.fromEntries(documented)).toEqual(Object.fromEntries(Object.entries(EXIT_CODES).map(([n, e]) => [n, e.code])));
  });
});
