import { describe, expect, it } from "vitest";
import { intentHash, toIntent, transactionBody, type Intent } from "../../../src/manage/transactions/request.js";

function intent(body: object): Intent | string {
  const parsed = transactionBody.safeParse(body);
  if (!parsed.success) return parsed.error.message;
  return toIntent(parsed.data);
}
const ok = (body: object): Intent => {
  const i = intent(body);
  if (typeof i === "string") throw new Error(i);
  return i;
};

describe("transaction requests", () => {
  it("amount (NTMPI) and amountMicro (uneutaro) give the same intent and the same hash", () => {
    const a = ok({ kind: "credit", clientId: "c_1", amount: "0.25", reason: "r" });
    const b = ok({ kind: "credit", clientId: "c_1", amountMicro: "250000", reason: "r" });
    expect(a.amountMicro).toBe(250_000n);
    expect(intentHash(a)).toBe(intentHash(b));
  });

  it("any change of kind, account, amount or reason changes the hash", () => {
    const base = { kind: "credit", clientId: "c_1", amountMicro: "5", reason: "r" };
    const h = intentHash(ok(base));
    for (const change of [{ kind: "refund" }, { clientId: "c_2" }, { amountMicro: "6" }, { reason: "r2" }]) {
      expect(intentHash(ok({ ...base, ...change }))).not.toBe(h);
    }
  });

  it("only an adjustment may be negative; zero, 7 decimals and both amounts are refused", () => {
    expect(ok({ kind: "adjustment", clientId: "c_1", amount: "-0.000001", reason: "r" }).amountMicro).toBe(-1n);
    for (const bad of [
      { kind: "refund", clientId: "c_1", amountMicro: "-1", reason: "r" },
      { kind: "credit", clientId: "c_1", amount: "0.000000", reason: "r" },
      { kind: "credit", clientId: "c_1", amount: "0.0000001", reason: "r" },
      { kind: "credit", clientId: "c_1", amount: "1", amountMicro: "1000000", reason: "r" },
      { kind: "credit", clientId: "c_1", amount: "1e3", reason: "r" },
      { kind: "credit", clientId: "c_1", amount: "1000000001", reason: "r" },
      { kind: "credit", clientId: "c_1", amount: "1", reason: "   " },
    ]) {
      expect(typeof intent(bad), JSON.stringify(bad)).toBe("string");
    }
  });

  it("a transfer names two different accounts and nothing else", () => {
    expect(ok({ kind: "transfer", from: "c_1", to: "c_2", amount: "1", reason: "r" })).toMatchObject({
      from: "c_1",
      to: "c_2",
      clientId: null,
    });
    expect(typeof intent({ kind: "transfer", from: "c_1", to: "c_1", amount: "1", reason: "r" })).toBe("string");
    expect(typeof intent({ kind: "transfer", from: "c_1", amount: "1", reason: "r" })).toBe("string");
    expect(typeof intent({ kind: "credit", from: "c_1", to: "c_2", amount: "1", reason: "r" })).toBe("string");
  });
});
