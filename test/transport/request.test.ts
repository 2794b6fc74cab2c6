import { describe, expect, it } from "vitest";
import { InvalidCheckRequestError, toRequestFacts } from "../../src/transport/envoy/request.js";

/** A decoded CheckRequest builder with overrides for attributes.request.http. */
function checkRequest(http: Record<string, unknown> | null, extra: Record<string, unknown> = {}) {
  return { attributes: { request: { http }, context_extensions: {}, ...extra } };
}

describe("CheckRequest → RequestFacts", () => {
  it("uppercases the method and splits the query off the path", () => {
    const facts = toRequestFacts(checkRequest({ method: "post", path: "/api/data?x=1&y=2", host: "api.test" }));
    expect(facts).toMatchObject({ transport: "grpc", method: "POST", path: "/api/data", pathWithQuery: "/api/data?x=1&y=2" });
  });

  it("passes the raw path without its query (the core normalises it when pricing)", () => {
    const facts = toRequestFacts(checkRequest({ method: "GET", path: "/free/..//api/%64ata?x=1", host: "api.test" }));
    expect(facts.path).toBe("/free/..//api/%64ata");
    expect(facts.pathWithQuery).toBe("/free/..//api/%64ata?x=1");
  });

  it("takes the host from :authority when http.host is empty", () => {
    const facts = toRequestFacts(checkRequest({ method: "GET", path: "/", host: "", headers: { ":authority": "a.test:8443" } }));
    expect(facts.host).toBe("a.test:8443");
  });

  it("lowercases header names and keeps values as received", () => {
    const facts = toRequestFacts(checkRequest({ method: "GET", path: "/", headers: { "X-Payment-Proof": "Inv:ABC" } }));
    expect(facts.headers).toEqual({ "x-payment-proof": "Inv:ABC" });
  });

  it("reads header_map (value or raw_value) when the headers map is empty, joining repeats", () => {
    const facts = toRequestFacts(
      checkRequest({
        method: "GET",
        path: "/",
        headers: {},
        header_map: {
          headers: [
            { key: "X-Client-Id", value: "", raw_value: Buffer.from("client-1") },
            { key: "accept", value: "a/b" },
            { key: "accept", value: "c/d" },
          ],
        },
      }),
    );
    expect(facts.headers).toEqual({ "x-client-id": "client-1", accept: "a/b,c/d" });
  });

  it("formats the source as ip:port, bracketing IPv6", () => {
    const socket = (address: string, port_value: number) => ({ source: { address: { socket_address: { address, port_value } } } });
    const v4 = toRequestFacts(checkRequest({ method: "GET", path: "/" }, socket("10.0.0.1", 4242)));
    const v6 = toRequestFacts(checkRequest({ method: "GET", path: "/" }, socket("::1", 80)));
    expect([v4.sourceAddress, v6.sourceAddress]).toEqual(["10.0.0.1:4242", "[::1]:80"]);
  });

  it("prefers http.id for the request id and falls back to x-request-id", () => {
    const withId = toRequestFacts(checkRequest({ method: "GET", path: "/", id: "123", headers: { "x-request-id": "abc" } }));
    const withHeader = toRequestFacts(checkRequest({ method: "GET", path: "/", headers: { "x-request-id": "abc" } }));
    expect([withId.requestId, withHeader.requestId]).toEqual(["123", "abc"]);
  });

  it("copies context_extensions and the scheme", () => {
    const facts = toRequestFacts(
      checkRequest({ method: "GET", path: "/", scheme: "HTTPS" }, { context_extensions: { price: "0.5", route: "r1" } }),
    );
    expect([facts.scheme, facts.contextExtensions]).toEqual(["https", { price: "0.5", route: "r1" }]);
  });

  it.each([
    ["no attributes", {}],
    ["null http", checkRequest(null)],
    ["no method", checkRequest({ path: "/" })],
    ["no path", checkRequest({ method: "GET" })],
    ["a non-string header value", checkRequest({ method: "GET", path: "/", headers: { a: 1 } })],
    ["a non-string method", checkRequest({ method: 7, path: "/" })],
    ["headers that are not a map", checkRequest({ method: "GET", path: "/", headers: ["a"] })],
    ["a header_map entry without a key", checkRequest({ method: "GET", path: "/", header_map: { headers: [{ value: "v" }] } })],
    ["raw_value that is not bytes", checkRequest({ method: "GET", path: "/", header_map: { headers: [{ key: "a", raw_value: "v" }] } })],
    [
      "a negative port",
      checkRequest({ method: "GET", path: "/" }, { source: { address: { socket_address: { address: "10.0.0.1", port_value: -1 } } } }),
    ],
    ["context_extensions with a number", checkRequest({ method: "GET", path: "/" }, { context_extensions: { price: 1 } })],
    ["not an object", "junk"],
  ])("rejects a CheckRequest with %s as InvalidCheckRequestError", (_label, input) => {
    expect(() => toRequestFacts(input)).toThrow(InvalidCheckRequestError);
  });
});
