import { describe, expect, it } from "vitest";
import { hashPassword, verifyPassword } from "../../../src/manage/auth/passwords.js";

const cheap = { ln: 10, r: 8, p: 1 };

describe("operator passwords (scrypt)", () => {
  it("a hash verifies its password and no other", async () => {
    const h = await hashPassword("correct horse battery", cheap);
    expect(h).toMatch(/^\$scrypt\$ln=10,r=8,p=1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(await verifyPassword("correct horse battery", h)).toBe(true);
    expect(await verifyPassword("correct horse batterY", h)).toBe(false);
  });

  it("each hash has its own salt, and the stored parameters are the ones used to verify", async () => {
    const [a, b] = await Promise.all([hashPassword("same", cheap), hashPassword("same", { ln: 11, r: 8, p: 1 })]);
    expect(a.split("$")[3]).not.toBe(b.split("$")[3]);
    expect(await verifyPassword("same", b)).toBe(true);
    expect(await verifyPassword("same", b.replace("ln=11", "ln=10"))).toBe(false);
  });

  it("a malformed or out-of-range stored hash verifies as false instead of throwing", async () => {
    for (const stored of [
      "",
      "plaintext",
      "$scrypt$ln=40,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
      "$argon2id$v=19$m=1,t=1,p=1$x$y",
    ]) {
      expect(await verifyPassword("x", stored)).toBe(false);
    }
  });
});
