import { describe, expect, it } from "vitest";
import type { RequestFacts } from "../../../src/core/facts.js";
import { REQUEST_LIMITS, requestProblem } from "../../../src/core/limits.js";
import { facts } from "../builders.js";

describe("requestProblem: limits on client-controlled fields", () => {
  it("an ordinary request is within every limit", () => {
    expect(requestProblem(facts({ headers: { "x-payment-proof": "a".repeat(200), accept: "*/*" } }))).toBeUndefined();
    expect(requestProblem(facts({ method: "UPDATEREDIRECTREF", host: "[::1]:8080", scheme: "http" }))).toBeUndefined();
    expect(requestProblem(facts({ host: "" }))).toBeUndefined();
  });

  const bad: [string, Partial<RequestFacts>][] = [
    ["a 200-character method", { method: "G".repeat(200) }],
    ["a method with a space", { method: "G T" }],
    ["an empty method", { method: "" }],
    ["a method with a control character", { method: "GET\n" }],
    ["an oversized host", { host: `${"a".repeat(REQUEST_LIMITS.hostChars)}.example` }],
    ["a host with a slash", { host: "evil.example/x" }],
    ["a host with a space", { host: "a b" }],
    ["an oversized path", { pathWithQuery: `/${"a".repeat(REQUEST_LIMITS.targetChars)}` }],
    ["a path with a raw space", { pathWithQuery: "/a b" }],
    ["a path not starting with /", { pathWithQuery: "api" }],
    ["a scheme with a colon", { scheme: "http:" }],
    ["an oversized request id", { requestId: "r".repeat(REQUEST_LIMITS.requestIdChars + 1) }],
    ["an oversized header value", { headers: { "x-a": "v".repeat(REQUEST_LIMITS.headerValueChars + 1) } }],
    [
      "too many headers",
      { headers: Object.fromEntries(Array.from({ length: REQUEST_LIMITS.headerCount + 1 }, (_, i) => [`x-h${i}`, "v"])) },
    ],
    [
      "oversized headers in total",
      { headers: Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`x-h${i}`, "v".repeat(REQUEST_LIMITS.headerValueChars)])) },
    ],
    ["an oversized header name", { headers: { ["x".repeat(REQUEST_LIMITS.headerNameChars + 1)]: "v" } }],
  ];
  it.each(bad)("%s is refused", (_what, over) => {
    expect(requestProblem(facts(over))).toEqual(expect.any(String));
  });
});
