import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { hashClientKey, parseCredentials } from "../../../src/core/credentials.js";

const CLIENT_ID = "c_Qm9b3VtZXJzLTAx";
const KEY = "k_vN3q8Zl0Yx2mW7cR5tB1uE9sH4gJ6aK0dF2pL8iO3nM";
const sha256 = (s: string) => createHash("sha256").update(s, "utf8").digest("hex");

describe("parseCredentials", () => {
  it("no X-Client-Id is none, even with a bearer token (that may be the upstream's own auth)", () => {
    expect(parseCredentials({})).toEqual({ kind: "none" });
    expect(parseCredentials({ authorization: `Bearer ${KEY}` })).toEqual({ kind: "none" });
  });

  it("X-Client-Id with X-Client-Key gives the id and the key's sha256", () => {
    expect(parseCredentials({ "x-client-id": CLIENT_ID, "x-client-key": KEY })).toEqual({
      kind: "credentials",
      clientId: CLIENT_ID,
      keyHash: sha256(KEY),
      viaAuthorization: false,
    });
  });

  it("Authorization: Bearer <key> works in place of X-Client-Key and says so", () => {
    expect(parseCredentials({ "x-client-id": CLIENT_ID, authorization: `Bearer ${KEY}` })).toEqual({
      kind: "credentials",
      clientId: CLIENT_ID,
      keyHash: sha256(KEY),
      viaAuthorization: true,
    });
    expect(parseCredentials({ "x-client-id": CLIENT_ID, authorization: `bearer   ${KEY}` })).toMatchObject({
      kind: "credentials",
      keyHash: sha256(KEY),
    });
  });

  it("X-Client-Key takes precedence over a bearer token", () => {
    const r = parseCredentials({ "x-client-id": CLIENT_ID, "x-client-key": KEY, authorization: "Bearer k_someOtherKeyThatIsLong" });
    expect(r).toMatchObject({ kind: "credentials", keyHash: sha256(KEY), viaAuthorization: false });
  });

  it("an X-Client-Id without any key is invalid (no bare-id trust as ClawPurse had)", () => {
    const r = parseCredentials({ "x-client-id": CLIENT_ID });
    expect(r).toMatchObject({ kind: "invalid", message: expect.stringMatching(/X-Client-Key or Authorization: Bearer/) });
    expect(parseCredentials({ "x-client-id": CLIENT_ID, authorization: "Basic dXNlcjpwYXNz" })).toMatchObject({ kind: "invalid" });
  });

  it.each(["", "client id with spaces", "c".repeat(65), "client/../admin", "клиент"])("a malformed client id %j is invalid", (id) => {
    expect(parseCredentials({ "x-client-id": id, "x-client-key": KEY })).toMatchObject({
      kind: "invalid",
      message: expect.stringMatching(/X-Client-Id/),
    });
  });

  it.each(["short", "", "k".repeat(129), "key with spaces in it!!", "k_ünïcødé_key_value_123"])("a malformed key %j is invalid", (key) => {
    expect(parseCredentials({ "x-client-id": CLIENT_ID, "x-client-key": key })).toMatchObject({
      kind: "invalid",
      message: "client key is malformed",
    });
  });
});

describe("hashClientKey", () => {
  it("is the lowercase hex sha256 of the key", () => {
    // sha256("abc") from FIPS 180-2 appendix B.1
    expect(hashClientKey("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    expect(hashClientKey(KEY)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashClientKey(KEY)).not.toBe(hashClientKey(`${KEY}x`));
  });
});
