import { describe, expect, it } from "vitest";
import { Admission } from "../../../src/store/admission.js";
import { SpentInvoices } from "../../../src/store/spent-invoices.js";

const tick = () => new Promise((r) => setImmediate(r));

describe("SpentInvoices", () => {
  it("remembers a used-up invoice only while its lane has copies waiting (a refund can give a use back)", async () => {
    const spent = new SpentInvoices(10);
    spent.markUsedUp("idle", "TX0");
    expect(spent.usedUpBy("idle")).toBeUndefined();
    let release!: () => void;
    const first = spent.inLane("x", async () => {
      await tick();
      spent.markUsedUp("x", "TXX");
      await new Promise<void>((r) => (release = r));
    });
    const queued = spent.inLane("x", async () => spent.usedUpBy("x"));
    await tick();
    await tick();
    release();
    expect(await queued).toBe("TXX");
    await first;
    await tick();
    expect(spent.usedUpBy("x")).toBeUndefined();
  });

  it("remembers used-up invoice ids up to its capacity, forgetting the oldest first", async () => {
    const spent = new SpentInvoices(2);
    const held: (() => void)[] = [];
    const lanes = ["a", "b", "c"].map((k) =>
      spent.inLane(k, async () => {
        await tick();
        spent.markUsedUp(k, `TX${k.toUpperCase()}`);
        await new Promise<void>((r) => held.push(r));
      }),
    );
    await tick();
    await tick();
    expect([spent.usedUpBy("a"), spent.usedUpBy("b"), spent.usedUpBy("c")]).toEqual([undefined, "TXB", "TXC"]);
    held.forEach((r) => r());
    await Promise.all(lanes);
  });

  it("runs calls of one lane one at a time, in order, and other lanes alongside", async () => {
    const spent = new SpentInvoices(10);
    const log: string[] = [];
    let release!: () => void;
    const first = spent.inLane(
      "x",
      () =>
        new Promise<void>((r) => {
          log.push("x1 start");
          release = () => {
            log.push("x1 end");
            r();
          };
        }),
    );
    const second = spent.inLane("x", async () => void log.push("x2"));
    const other = spent.inLane("y", async () => void log.push("y1"));
    await tick();
    expect(log).toEqual(["x1 start", "y1"]);
    release();
    await Promise.all([first, second, other]);
    expect(log).toEqual(["x1 start", "y1", "x1 end", "x2"]);
  });

  it("a failing call does not block its lane", async () => {
    const spent = new SpentInvoices(10);
    await expect(
      spent.inLane("x", async () => {
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect(await spent.inLane("x", async () => 7)).toBe(7);
  });

  it("concurrent reads of one key share one call", async () => {
    const spent = new SpentInvoices(10);
    let calls = 0;
    const read = () =>
      spent.shared("k", async () => {
        calls += 1;
        await tick();
        return calls;
      });
    expect(await Promise.all([read(), read(), read()])).toEqual([1, 1, 1]);
    expect(await read()).toBe(2);
  });
});

describe("Admission", () => {
  it("refuses at once with StoreUnavailableError when the bound is reached, and admits again after", async () => {
    const admission = new Admission(2);
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const a = admission.run("op", () => held);
    const b = admission.run("op", () => held);
    await expect(admission.run("op", async () => 1)).rejects.toMatchObject({ name: "StoreUnavailableError" });
    expect(admission.inFlight).toBe(2);
    release();
    await Promise.all([a, b]);
    expect(await admission.run("op", async () => 1)).toBe(1);
  });
});
