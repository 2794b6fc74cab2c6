import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  clawpurseCliPayer,
  ClawpurseCliError,
  createPaidFetch,
  memoryStore,
  parseTxHash,
  PaymentNotSentError,
} from "../../src/client/index.js";
import { address, fakeServer, gate402Answer, invoiceId, payOnce, txHash, v2Offer } from "./helpers.js";

let dir: string;
const HASH = txHash();

/** A fake `clawpurse` that records its argv (one per line) and prints what a real send prints. */
async function fakeCli(name: string, script: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, `#!/bin/sh\n${script}\n`);
  await chmod(path, 0o755);
  return path;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "gate402-clawpurse-"));
  await fakeCli(
    "clawpurse",
    `printf '%s\\n' "$@" > "${dir}/argv"\necho "Sending 0.001000 NTMPI..."\necho "Tx hash: ${HASH}"\necho "Status: confirmed"`,
  );
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const env = () => ({ ...process.env, PATH: `${dir}${delimiter}${process.env["PATH"] ?? ""}` });
const order = (o: Partial<{ payTo: string; amountMicro: bigint; denom: string; memo: string; network: string }> = {}) => ({
  payTo: address(),
  amountMicro: 1000n,
  denom: "uneutaro",
  memo: invoiceId(),
  network: "cosmos:Neutaro-1",
  ...o,
});

describe("clawpurseCliPayer", () => {
  it("runs `clawpurse send <address> <amount> --memo <memo> --yes` with a 6-decimal amount and returns the printed hash", async () => {
    const o = order({ amountMicro: 1000n });
    const res = await clawpurseCliPayer({ env: env() }).pay(o);
    expect(res.txHash).toBe(HASH);
    const argv = (await readFile(join(dir, "argv"), "utf8")).trimEnd().split("\n");
    expect(argv).toEqual(["send", o.payTo, "0.001000", "--memo", o.memo, "--yes"]);
  });

  it("whole and fractional amounts are always written with exactly 6 decimals", async () => {
    const payer = clawpurseCliPayer({ env: env() });
    for (const [micro, text] of [
      [2_000_000n, "2.000000"],
      [1n, "0.000001"],
      [1_234_567n, "1.234567"],
    ] as const) {
      await payer.pay(order({ amountMicro: micro }));
      expect((await readFile(join(dir, "argv"), "utf8")).split("\n")[2]).toBe(text);
    }
  });

  it("pays a 402 end to end through paidFetch", async () => {
    const payTo = address();
    const offer = v2Offer({ payTo, amount: "1500" });
    const server = await fakeServer(payOnce(gate402Answer(offer)));
    try {
      const paidFetch = createPaidFetch({
        payer: clawpurseCliPayer({ env: env() }),
        policy: { maxPerRequest: "0.01", allowedPayTo: [payTo] },
        store: memoryStore(),
      });
      expect((await paidFetch(`${server.url}/api`)).status).toBe(200);
      // A v2 offer and a payer that cannot sign without broadcasting: PAYMENT-SIGNATURE {txHash, invoiceId}.
      const sent = JSON.parse(Buffer.from(String(server.requests[1]!.headers["payment-signature"]), "base64").toString("utf8"));
      expect(sent.payload).toEqual({ txHash: HASH.toUpperCase(), invoiceId: (offer["extra"] as { invoiceId: string }).invoiceId });
      expect((await readFile(join(dir, "argv"), "utf8")).split("\n").slice(2, 4)).toEqual(["0.001500", "--memo"]);
    } finally {
      await server.close();
    }
  });

  it("a CLI that fails or prints no hash is an error that keeps the budget held (it may have sent)", async () => {
    const failing = await fakeCli("clawpurse-fail", `echo "insufficient funds" >&2\nexit 3`);
    await expect(clawpurseCliPayer({ bin: failing }).pay(order())).rejects.toBeInstanceOf(ClawpurseCliError);
    const silent = await fakeCli("clawpurse-silent", `echo "ok"`);
    await expect(clawpurseCliPayer({ bin: silent }).pay(order())).rejects.toThrow("printed no tx hash");
  });

  it("refuses before running the CLI: missing binary, another network or denom, option-like memo", async () => {
    const payer = clawpurseCliPayer({ bin: join(dir, "does-not-exist") });
    await expect(payer.pay(order())).rejects.toBeInstanceOf(PaymentNotSentError);
    const real = clawpurseCliPayer({ env: env() });
    await expect(real.pay(order({ network: "cosmos:other-1" }))).rejects.toBeInstanceOf(PaymentNotSentError);
    await expect(real.pay(order({ denom: "uatom" }))).rejects.toBeInstanceOf(PaymentNotSentError);
    await expect(real.pay(order({ memo: "--password=hunter2-xxxx" }))).rejects.toBeInstanceOf(PaymentNotSentError);
  });

  it("the hash is read from the line that mentions it, not from a memo echo", () => {
    const memoLooksHex = "a".repeat(64);
    expect(parseTxHash(`memo: x${memoLooksHex}\ntxhash: ${HASH.toLowerCase()}`)).toBe(HASH);
    expect(parseTxHash("no hash here")).toBeNull();
  });
});
