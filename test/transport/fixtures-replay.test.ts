import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Decision } from "../../src/core/decision.js";
import type { RequestFacts } from "../../src/core/facts.js";
import { createExtAuthzServer, type ExtAuthzServer } from "../../src/transport/envoy/server.js";
import { bufCheck } from "../support/buf.js";
import { envoyFixtureNames, loadEnvoyFixture } from "../support/envoy-fixtures.js";

const VARS = {
  INVOICE_ID: "g402v1.Zm9vYmFy_inv-9",
  TX_HASH: "A3F1C2D4E5B60718293A4B5C6D7E8F90112233445566778899AABBCCDDEEFF00",
  PAYMENT_SIGNATURE: "eyJ4NDAyVmVyc2lvbiI6Mn0=",
  X_PAYMENT: "eyJ4NDAyVmVyc2lvbiI6MX0=",
  CLIENT_ID: "client_7",
  CLIENT_KEY: "sk_live_test_key",
};

type Expected = Omit<RequestFacts, "transport" | "headers" | "pathWithQuery"> & { headers: Record<string, string> };

/** What each recorded request must yield; `headers` lists the ones that matter (a subset). */
const EXPECTED: Record<string, Expected> = {
  "envoy-get-priced.json": {
    method: "GET",
    host: "api.example.com",
    path: "/api/data",
    scheme: "http",
    contextExtensions: { route: "data", price: "0.001" },
    sourceAddress: "172.18.0.1:46532",
    requestId: "13359530218406397200",
    headers: { ":path": "/api/data?limit=10&cursor=abc", "x-envoy-internal": "true" },
  },
  "envoy-post-payment-proof.json": {
    method: "POST",
    host: "llm.example.com",
    path: "/v1/chat/completions",
    scheme: "https",
    contextExtensions: { route: "chat", price: "0.250000" },
    sourceAddress: "10.0.3.17:53110",
    requestId: "4715322907915893441",
    headers: { "x-payment-proof": `${VARS.INVOICE_ID}:${VARS.TX_HASH}` },
  },
  "envoy-x402-v2-payment-signature.json": {
    method: "GET",
    host: "data.example.org:8080",
    path: "/api/prices/NTMPI",
    scheme: "http",
    contextExtensions: { route: "prices" },
    sourceAddress: "192.168.49.1:61022",
    requestId: "9260512376541280913",
    headers: { "payment-signature": VARS.PAYMENT_SIGNATURE },
  },
  "envoy-x402-v1-x-payment.json": {
    method: "GET",
    host: "api.example.com",
    path: "/api/weather",
    scheme: "http",
    contextExtensions: { route: "weather", price: "0.005" },
    sourceAddress: "172.18.0.9:40110",
    requestId: "1620951417264129882",
    headers: { "x-payment": VARS.X_PAYMENT },
  },
  "envoy-prepaid-client-key.json": {
    method: "PUT",
    host: "api.example.com",
    path: "/api/items/42",
    scheme: "http",
    contextExtensions: { route: "items" },
    sourceAddress: "10.42.0.15:38876",
    requestId: "7364729187729381726",
    headers: { "x-client-id": VARS.CLIENT_ID, "x-client-key": VARS.CLIENT_KEY },
  },
  "envoy-prepaid-bearer.json": {
    method: "GET",
    host: "api.example.com",
    path: "/api/search",
    scheme: "https",
    contextExtensions: {},
    sourceAddress: "[2001:db8::17]:50412",
    requestId: "11814207430268542311",
    headers: { authorization: `Bearer ${VARS.CLIENT_KEY}` },
  },
  "envoy-free-route.json": {
    method: "HEAD",
    host: "api.example.com",
    path: "/docs/openapi.json",
    scheme: "http",
    contextExtensions: { free: "true", route: "docs" },
    sourceAddress: "172.18.0.1:46540",
    requestId: "2905847216357746001",
    headers: { "user-agent": "curl/8.5.0" },
  },
  "envoy-raw-header-map.json": {
    method: "GET",
    host: "api.example.com",
    path: "/api/data",
    scheme: "http",
    contextExtensions: { route: "data" },
    sourceAddress: "172.18.0.1:46600",
    requestId: "6044391866381220123",
    headers: { "x-payment-proof": VARS.INVOICE_ID, ":authority": "api.example.com", "accept-language": "en,nb;q=0.8" },
  },
  "istio-sidecar-mtls.json": {
    method: "GET",
    host: "data-api.api.svc.cluster.local:8080",
    path: "/api/data/latest",
    scheme: "http",
    contextExtensions: {},
    sourceAddress: "10.244.1.23:42830",
    requestId: "15848327615484529172",
    headers: {
      "x-client-id": VARS.CLIENT_ID,
      "x-envoy-peer-metadata-id": "sidecar~10.244.1.23~bot-6c7d9f8b5-x2k4q.agents~agents.svc.cluster.local",
    },
  },
  "istio-ingress-gateway.json": {
    method: "POST",
    host: "api.example.com",
    path: "/v1/embeddings",
    scheme: "https",
    contextExtensions: { route: "embeddings", price: "0.000500" },
    sourceAddress: "198.51.100.24:55012",
    requestId: "3160925519183384201",
    headers: { "x-payment-proof": VARS.TX_HASH, "x-envoy-external-address": "198.51.100.24" },
  },
};

const seen: RequestFacts[] = [];
let server: ExtAuthzServer;
let port: number;

beforeAll(async () => {
  const allow: Decision = {
    kind: "allow",
    decisionId: "d",
    method: "free",
    routeId: "r",
    priceMicro: 0n,
    upstreamHeaders: {},
    headersToRemove: [],
    responseHeaders: {},
  };
  server = createExtAuthzServer({ check: async (facts) => (seen.push(facts), allow) });
  port = await server.listen(0, "127.0.0.1");
});
afterAll(() => server.shutdown(500));

describe("recorded Envoy/Istio CheckRequests replayed with buf curl", () => {
  it("every fixture has expectations", () => {
    expect(envoyFixtureNames()).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(envoyFixtureNames())("%s yields the expected request facts", async (name) => {
    const fixture = loadEnvoyFixture(name, VARS);
    const before = seen.length;
    await bufCheck(port, fixture);
    expect(seen.length).toBe(before + 1);
    const facts = seen[seen.length - 1]!;
    const { headers, ...rest } = EXPECTED[name]!;
    expect(facts).toMatchObject({ transport: "grpc", ...rest });
    expect(facts.contextExtensions).toEqual(rest.contextExtensions);
    expect(facts.pathWithQuery).toBe(fixture.attributes.request.http.path);
    expect(facts.headers).toMatchObject(headers);
    expect(Object.keys(facts.headers).every((k) => k === k.toLowerCase())).toBe(true);
    expect(JSON.stringify(facts.headers)).not.toContain("${");
  });
});
