/**
 * Recorded Envoy / Istio CheckRequests (test/fixtures/envoy/*.json, protojson camelCase as Envoy
 * 1.2x+ emits them). Values may hold placeholders such as "${INVOICE_ID}" or "${TX_HASH}" that tests
 * substitute; placeholders inside base64 `rawValue` header bytes are substituted too.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { protoRoot } from "../../src/transport/envoy/protos.js";

export const ENVOY_FIXTURE_DIR = join(protoRoot(), "..", "test", "fixtures", "envoy");

/** Fixture file names, sorted, e.g. "envoy-get-priced.json". */
export function envoyFixtureNames(): string[] {
  return readdirSync(ENVOY_FIXTURE_DIR)
    .filter((f) => f.endsWith(".json"))
    .sort();
}

/** Parsed fixture with `${NAME}` replaced by vars[NAME]; unknown placeholders stay as they are. */
export function loadEnvoyFixture(name: string, vars: Readonly<Record<string, string>> = {}): any {
  const json: unknown = JSON.parse(readFileSync(join(ENVOY_FIXTURE_DIR, name), "utf8"));
  const fill = (s: string) => s.replace(/\$\{([A-Z0-9_]+)\}/g, (all, key: string) => vars[key] ?? all);
  const walk = (value: unknown, key?: string): unknown => {
    if (typeof value === "string") {
      if (key !== "rawValue") return fill(value);
      return Buffer.from(fill(Buffer.from(value, "base64").toString("utf8"))).toString("base64");
    }
    if (Array.isArray(value)) return value.map((v) => walk(v));
    if (value && typeof value === "object") {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, k)]));
    }
    return value;
  };
  return walk(json);
}
