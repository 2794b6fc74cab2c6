import { describe, expect, it } from "vitest";
import { PayerOrder } from "../../../src/core/signed-tx/payer-order.js";

const tick = () => new Promise((r) => setTimeout(r, 5));

describe("PayerOrder", () => {
  it("one payer's payments arriving out of order settle in sequence order", async () => {
    const order = new PayerOrder(5_000);
    const log: bigint[] = [];
    const settle = (seq: bigint) =>
      order.run("p", seq, 10n, async () => {
        await tick();
        log.push(seq);
      });
    await Promise.all([13n, 11n, 12n, 10n].map(settle));
    expect(log).toEqual([10n, 11n, 12n, 13n]);
  });

  it("the sequence the chain expects goes at once; a later one waits at most maxWaitMs for a predecessor that never comes", async () => {
    const order = new PayerOrder(100);
    const t0 = Date.now();
    await order.run("p", 7n, 7n, async () => undefined);
    expect(Date.now() - t0).toBeLessThan(50);
    const t1 = Date.now();
    await order.run("q", 9n, 7n, async () => undefined);
    expect(Date.now() - t1).toBeGreaterThanOrEqual(90);
  });

  it("a payment after its settled predecessor goes at once, and payers do not wait for each other", async () => {
    const order = new PayerOrder(5_000);
    await order.run("p", 3n, 3n, async () => undefined);
    const t = Date.now();
    await Promise.all([order.run("p", 4n, 3n, async () => undefined), order.run("other", 1n, 1n, async () => undefined)]);
    expect(Date.now() - t).toBeLessThan(50);
  });

  it("a refused (throwing) predecessor still lets the next one go", async () => {
    const order = new PayerOrder(5_000);
    const first = order.run("p", 1n, 1n, async () => {
      await tick();
      throw new Error("refused");
    });
    const second = order.run("p", 2n, 1n, async () => "ran");
    await expect(first).rejects.toThrow("refused");
    expect(await second).toBe("ran");
  });
});
