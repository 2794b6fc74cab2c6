/**
 * Signed-transaction payloads that must not pay: too little, to another address, in another denom,
 * for another invoice, for another chain id, with a bad signature, expired. Each is refused with a 402
 * (or 400) and a fresh invoice, and never broadcast (the tx never reaches the chain).
 */
import { DirectSecp256k1HdWallet } from "@cosmjs/proto-signing";
import { fromBase64, toBase64 } from "@cosmjs/encoding";
import { TxRaw } from "cosmjs-types/cosmos/tx/v1beta1/tx";
import type { PaymentPayload } from "@x402/core/types";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExactCosmosScheme } from "../../src/x402/index.js";
import { startStack, type Stack } from "../support/stack.js";
import { headerOf, paymentRequiredOf, signedPayload, txHashOf } from "../support/x402-payloads.js";

let stack: Stack;
let scheme: ExactCosmosScheme;
let offsetMs = 0;
const refusedHashes: string[] = [];

beforeAll(async () => {
  stack = await startStack({
    env: { GATEWAY_ROUTES: "GET /api/data=0.001", GATEWAY_INVOICE_TTL: "60" },
    start: { clock: () => Date.now() + offsetMs },
  });
  const signer = await DirectSecp256k1HdWallet.fromMnemonic(stack.devnet.wallets[4]!.mnemonic, { prefix: "neutaro" });
  scheme = new ExactCosmosScheme({ signer, rpc: stack.devnet.rpcUrl, gasPrice: "0.025uneutaro", pendingSequenceMs: 0 });
});
afterAll(async () => {
  await scheme?.disconnect();
  await stack?.stop();
});

const url = () => `${stack.gw.httpUrl}/ext-authz/api/data`;

async function present(p: PaymentPayload): Promise<{ status: number; error: string; message: string }> {
  if (typeof p.payload["signedTx"] === "string") refusedHashes.push(txHashOf(p));
  const res = await fetch(url(), { headers: { "payment-signature": headerOf(p) } });
  const body = await res.json();
  expect(body.payment?.invoiceId).toBeTruthy(); // a fresh invoice comes with every refusal
  return { status: res.status, error: body.error, message: body.message };
}

describe("signed payments that must not pay are refused before broadcast", () => {
  it("paying less than the price → INSUFFICIENT_AMOUNT", async () => {
    const pr = await paymentRequiredOf(url());
    const r = await present(await signedPayload(scheme, pr, { ...pr.accepts[0]!, amount: "999" }));
    expect(r).toMatchObject({ status: 402, error: "INSUFFICIENT_AMOUNT" });
  });

  it("paying another address → PAYMENT_NOT_FOUND", async () => {
    const pr = await paymentRequiredOf(url());
    const r = await present(await signedPayload(scheme, pr, { ...pr.accepts[0]!, payTo: stack.devnet.wallets[2]!.address }));
    expect(r).toMatchObject({ status: 402, error: "PAYMENT_NOT_FOUND" });
  });

  it("paying in another denom → PAYMENT_NOT_FOUND", async () => {
    const pr = await paymentRequiredOf(url());
    const r = await present(await signedPayload(scheme, pr, { ...pr.accepts[0]!, asset: "ufoo" }));
    expect(r).toMatchObject({ status: 402, error: "PAYMENT_NOT_FOUND" });
  });

  it("carrying another route's invoice as memo → WRONG_RESOURCE", async () => {
    const pr = await paymentRequiredOf(url());
    const other = await paymentRequiredOf(`${stack.gw.httpUrl}/ext-authz/api/other`);
    const p = await signedPayload(scheme, pr, other.accepts[0]!, other.accepts[0]!);
    const r = await present(p);
    expect(r).toMatchObject({ status: 402, error: "WRONG_RESOURCE" });
  });

  it("signed for another chain id → INVALID_PROOF (signature does not verify here)", async () => {
    const pr = await paymentRequiredOf(url());
    const r = await present(await signedPayload(scheme, pr, { ...pr.accepts[0]!, network: "cosmos:other-chain-7" }));
    expect(r).toMatchObject({ status: 400, error: "INVALID_PROOF" });
    expect(r.message).toContain("chain id");
  });

  it("with a bad signature → INVALID_PROOF", async () => {
    const pr = await paymentRequiredOf(url());
    const p = await signedPayload(scheme, pr, pr.accepts[0]!);
    const raw = TxRaw.decode(fromBase64(p.payload["signedTx"] as string));
    raw.signatures[0]![10]! ^= 0x01;
    const r = await present({ ...p, payload: { ...p.payload, signedTx: toBase64(TxRaw.encode(raw).finish()) } });
    expect(r).toMatchObject({ status: 400, error: "INVALID_PROOF" });
  });

  it("an authorization that restates another amount → INVALID_PROOF", async () => {
    const pr = await paymentRequiredOf(url());
    const p = await signedPayload(scheme, pr, pr.accepts[0]!);
    const auth = { ...(p.payload["authorization"] as object), amount: "5" };
    const r = await present({ ...p, payload: { ...p.payload, authorization: auth } });
    expect(r).toMatchObject({ status: 400, error: "INVALID_PROOF" });
  });

  it("presented after the invoice expired → INVOICE_EXPIRED", async () => {
    const pr = await paymentRequiredOf(url());
    const p = await signedPayload(scheme, pr, pr.accepts[0]!);
    offsetMs = 61_000;
    try {
      const r = await present(p);
      expect(r).toMatchObject({ status: 402, error: "INVOICE_EXPIRED" });
    } finally {
      offsetMs = 0;
    }
  });

  it("none of the refused transactions reached the chain; a correct one from the same wallet still pays", async () => {
    const h = stack.devnet.height();
    await stack.devnet.waitForHeight(h + 2);
    for (const hash of refusedHashes) expect(await stack.gw.chain.endpoints[0]!.getTx(hash)).toBeNull();
    expect(refusedHashes.length).toBeGreaterThanOrEqual(7);
    // A correct payload from the same wallet still pays (nothing above consumed its sequence).
    const pr = await paymentRequiredOf(url());
    const ok = await fetch(url(), { headers: { "payment-signature": headerOf(await signedPayload(scheme, pr, pr.accepts[0]!)) } });
    expect(ok.status).toBe(200);
  });
});
