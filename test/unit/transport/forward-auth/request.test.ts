import { describe, expect, it } from "vitest";
import {
  extAuthzFacts,
  forwardAuthFacts,
  InvalidAuthRequestError,
  type HttpAuthRequest,
} from "../../../../src/transport/forward-auth/request.js";

/** An auth request as Caddy 2.6.2 `forward_auth` sends it (recorded header set). */
function caddyRequest(overrides: Partial<HttpAuthRequest["headers"]> = {}, url = "/auth/forward"): HttpAuthRequest {
  return {
    method: "GET",
    url,
    headers: {
      host: "api.example.com",
      "user-agent": "agent/1.0",
      accept: "application/json",
      "x-forwarded-for": "203.0.113.9",
      "x-forwarded-host": "api.example.com",
      "x-forwarded-method": "POST",
      "x-forwarded-proto": "https",
      "x-forwarded-uri": "/api/data?x=1",
      "accept-encoding": "gzip",
      "x-payment-proof": "inv:ABC",
      ...overrides,
    },
  };
}

describe("forwardAuthFacts (Caddy forward_auth, Traefik ForwardAuth)", () => {
  it("reads the original method, host, URI and scheme from X-Forwarded-*", () => {
    const f = forwardAuthFacts(caddyRequest());
    expect(f).toMatchObject({
      transport: "http",
      method: "POST",
      host: "api.example.com",
      path: "/api/data",
      pathWithQuery: "/api/data?x=1",
      scheme: "https",
      sourceAddress: "203.0.113.9",
    });
  });

  it("passes the client's headers and drops hop-by-hop, Connection-named and X-Forwarded-* ones", () => {
    const f = forwardAuthFacts(
      caddyRequest({
        connection: "keep-alive, x-secret-hop",
        "keep-alive": "timeout=5",
        "x-secret-hop": "1",
        "transfer-encoding": "chunked",
        "content-length": "0",
        te: "trailers",
      }),
    );
    expect(f.headers).toEqual({
      host: "api.example.com",
      "user-agent": "agent/1.0",
      accept: "application/json",
      "accept-encoding": "gzip",
      "x-payment-proof": "inv:ABC",
    });
  });

  it("joins repeated headers with a comma", () => {
    expect(forwardAuthFacts(caddyRequest({ accept: ["a/b", "c/d"] })).headers["accept"]).toBe("a/b, c/d");
  });

  it("passes the raw path (the core normalises it when pricing) and keeps the raw target for the invoice resource", () => {
    const f = forwardAuthFacts(caddyRequest({ "x-forwarded-uri": "/free/../api/%64ata?q=/free/" }));
    expect(f.path).toBe("/free/../api/%64ata");
    expect(f.pathWithQuery).toBe("/free/../api/%64ata?q=/free/");
  });

  it("takes price, route and free from the auth URI's own query, nothing else and nothing from the client's URI", () => {
    const f = forwardAuthFacts(
      caddyRequest({ "x-forwarded-uri": "/api/data?price=0&free=true" }, "/auth/forward?route=premium&price=0.002&other=1"),
    );
    expect({ ...f.contextExtensions }).toEqual({ route: "premium", price: "0.002" });
    expect({ ...forwardAuthFacts(caddyRequest()).contextExtensions }).toEqual({});
  });

  it("ignores X-Gate402-Price and X-Gate402-Route request headers: clients could send them", () => {
    const f = forwardAuthFacts(caddyRequest({ "x-gate402-price": "0", "x-gate402-route": "free" }));
    expect({ ...f.contextExtensions }).toEqual({});
  });

  it("falls back to Host and http when X-Forwarded-Host/-Proto are absent or odd; takes the rightmost X-Forwarded-For", () => {
    const f = forwardAuthFacts(
      caddyRequest({
        "x-forwarded-host": undefined,
        "x-forwarded-proto": "gopher",
        "x-forwarded-for": "1.1.1.1, 10.0.0.2",
        host: "h.example",
      }),
    );
    expect(f).toMatchObject({ host: "h.example", scheme: "http", sourceAddress: "10.0.0.2" });
  });

  it.each([
    [{ "x-forwarded-method": undefined }, "X-Forwarded-Method: missing"],
    [{ "x-forwarded-uri": undefined }, "X-Forwarded-Uri: missing"],
    [{ "x-forwarded-method": "GE T" }, "X-Forwarded-Method: not an HTTP method"],
    [{ "x-forwarded-uri": "http://evil/api" }, "X-Forwarded-Uri: must be"],
    [{ "x-forwarded-uri": "/api/\u0000" }, "X-Forwarded-Uri: must be"],
  ])("refuses an auth request without a readable original request (%o)", (headers, issue) => {
    const err = (() => {
      try {
        forwardAuthFacts(caddyRequest(headers));
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(InvalidAuthRequestError);
    expect((err as InvalidAuthRequestError).issues.join()).toContain(issue);
  });
});

describe("extAuthzFacts (Envoy http_service / Istio envoyExtAuthzHttp)", () => {
  const envoy = (method: string, url: string, headers: HttpAuthRequest["headers"] = {}): HttpAuthRequest => ({
    method,
    url,
    headers: { host: "api.example.com", "x-forwarded-proto": "https", "x-request-id": "rid-1", "content-length": "0", ...headers },
  });

  it("the original request is this one, with its path behind the prefix", () => {
    const f = extAuthzFacts(envoy("delete", "/ext-authz/api/items/7?force=1"), "/ext-authz");
    expect(f).toMatchObject({
      transport: "http",
      method: "DELETE",
      host: "api.example.com",
      path: "/api/items/7",
      pathWithQuery: "/api/items/7?force=1",
      scheme: "https",
      requestId: "rid-1",
    });
    expect({ ...f.contextExtensions }).toEqual({});
  });

  it("the bare prefix is the root path; the client's query carries no operator settings", () => {
    expect(extAuthzFacts(envoy("GET", "/ext-authz/"), "/ext-authz").path).toBe("/");
    expect(extAuthzFacts(envoy("GET", "/ext-authz?price=0"), "/ext-authz")).toMatchObject({
      path: "/",
      pathWithQuery: "/?price=0",
      contextExtensions: {},
    });
  });

  it("uses :authority when there is no Host", () => {
    expect(extAuthzFacts(envoy("GET", "/ext-authz/a", { host: undefined, ":authority": "h2.example" }), "/ext-authz").host).toBe(
      "h2.example",
    );
  });

  it("refuses a target outside the prefix", () => {
    expect(() => extAuthzFacts(envoy("GET", "/other/a"), "/ext-authz")).toThrow(InvalidAuthRequestError);
  });
});
