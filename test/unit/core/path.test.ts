import { describe, expect, it } from "vitest";
import { normalizePath } from "../../../src/core/path.js";

describe("normalizePath (the path gate402 prices)", () => {
  it.each([
    ["/api/data", "/api/data"],
    ["/", "/"],
    ["/api/", "/api/"],
    ["/free/../api/data", "/api/data"],
    ["/free/%2e%2e/api/data", "/api/data"],
    ["/free/%2E%2E/api/data", "/api/data"],
    ["/./api/./data", "/api/data"],
    ["//api///data", "/api/data"],
    ["/../../api/data", "/api/data"],
    ["/api/x/..", "/api/"],
    ["/api/%64%61ta", "/api/data"],
    ["/api/%7Euser", "/api/~user"],
  ])("resolves %s to %s, as an upstream would", (raw, expected) => {
    expect(normalizePath(raw)).toBe(expected);
  });

  it("keeps reserved escapes encoded: %2F is not a path separator", () => {
    expect(normalizePath("/api%2F..%2Fdata")).toBe("/api%2F..%2Fdata");
    expect(normalizePath("/a/%25/b")).toBe("/a/%25/b");
  });

  it("always returns a path starting with /", () => {
    for (const raw of ["", "..", "/..", "/.", "a/b"]) expect(normalizePath(raw).startsWith("/")).toBe(true);
  });
});
