/**
 * The off-chain rules for signed payments (src/core/signed-tx), on txs signed by real @cosmjs wallets
 * (direct and amino-json sign modes) without a chain: the account facts are values here.
 */
import { Secp256k1HdWallet } from "@cosmjs/amino";
import { toBase64 } from "@cosmjs/encoding";
import { DirectSecp256k1HdWallet, type OfflineSigner } from "@cosmjs/proto-signing";
import { SigningStargateClient } from "@cosmjs/stargate";
import { TxRaw } from "cosmjs-types/cosmos/tx/v1beta1/tx";
import { beforeAll, describe, expect, it } from "vitest";
import { decodeSignedTx, type SignedPayment } from "../../../src/core/signed-tx/decode.js";
import { checkSignedPayment, type SignedExpectations, type SignerAccount } from "../../../src/core/signed-tx/verify.js";
import { parseProof } from "../../../src/core/proofs.js";

const MNEMONIC = "surround miss nominee dream gap cross assault thank captain prosper drop duty group candy wealth weather scale put";
const PAY_TO = "neutaro1qypqxpq9qcrsszg2pvxq6rs0zqg3yyc5lzv7xu";
const CHAIN = "neutaro-test-1";
const MEMO = "inv_0123456789abcdef0123";
const NOW = 1_800_000_000;

let from = "";
const account: SignerAccount = { accountNumber: 7n, sequence: 3n };
const expect_: SignedExpectations = {
  chainId: CHAIN,
  prefix: "neutaro",
  payTo: PAY_TO,
  denom: "uneutaro",
  minAmountMicro: 1000n,
  memo: MEMO,
  expiresAt: NOW + 60,
  nowSec: NOW,
  latestHeight: 100,
};

async function sign(
  signer: OfflineSigner,
  o: {
    amount?: string;
    to?: string;
    denom?: string;
    memo?: string;
    chainId?: string;
    accountNumber?: bigint;
    sequence?: number;
    timeoutHeight?: bigint;
  } = {},
): Promise<SignedPayment> {
  const [acc] = await signer.getAccounts();
  const client = await SigningStargateClient.offline(signer);
  const msg = {
    typeUrl: "/cosmos.bank.v1beta1.MsgSend",
    value: { fromAddress: acc!.address, toAddress: o.to ?? PAY_TO, amount: [{ denom: o.denom ?? "uneutaro", amount: o.amount ?? "1000" }] },
  };
  const fee = { amount: [{ denom: "uneutaro", amount: "2500" }], gas: "100000" };
  const raw = await client.sign(
    acc!.address,
    [msg],
    fee,
    o.memo ?? MEMO,
    { accountNumber: o.accountNumber ?? 7n, sequence: o.sequence ?? 3, chainId: o.chainId ?? CHAIN },
    o.timeoutHeight,
  );
  const decoded = decodeSignedTx(toBase64(TxRaw.encode(raw).finish()));
  if (!decoded.ok) throw new Error(decoded.message);
  return decoded.tx;
}

let direct: DirectSecp256k1HdWallet;
let amino: Secp256k1HdWallet;
beforeAll(async () => {
  direct = await DirectSecp256k1HdWallet.fromMnemonic(MNEMONIC, { prefix: "neutaro" });
  amino = await Secp256k1HdWallet.fromMnemonic(MNEMONIC, { prefix: "neutaro" });
  from = (await direct.getAccounts())[0]!.address;
});

describe("signed payment rules", () => {
  it("a correct MsgSend signed in direct mode passes and names its payer and amount", async () => {
    const tx = await sign(direct, { amount: "1500" });
    expect(tx.signMode).toBe("direct");
    expect(tx.hash).toMatch(/^[0-9A-F]{64}$/);
    expect(checkSignedPayment(tx, { from, to: PAY_TO, amount: "1500", denom: "uneutaro", timeoutAt: NOW + 30 }, expect_, account)).toEqual({
      ok: true,
      payer: from,
      paidMicro: 1500n,
    });
  });

  it("a legacy amino-json signature verifies too", async () => {
    const tx = await sign(amino);
    expect(tx.signMode).toBe("amino-json");
    expect(checkSignedPayment(tx, undefined, expect_, account)).toMatchObject({ ok: true });
  });

  it.each([
    ["another chain id", { chainId: "other-1" }, "INVALID_PROOF"],
    ["another account number", { accountNumber: 8n }, "INVALID_PROOF"],
    ["a spent sequence", { sequence: 2 }, "PROOF_ALREADY_USED"],
    ["too little", { amount: "999" }, "INSUFFICIENT_AMOUNT"],
    ["another address", { to: "neutaro1zg69v7yszg69v7yszg69v7yszg69v7ys8xdv96" }, "PAYMENT_NOT_FOUND"],
    ["another denom", { denom: "ufoo" }, "PAYMENT_NOT_FOUND"],
    ["another memo", { memo: "inv_another_invoice_000000" }, "WRONG_RESOURCE"],
    ["a passed timeout height", { timeoutHeight: 100n }, "INVOICE_EXPIRED"],
  ] as const)("%s is refused (%s)", async (_what, o, reason) => {
    expect(checkSignedPayment(await sign(direct, o), undefined, expect_, account)).toMatchObject({ ok: false, reason });
  });

  it("an expired request or authorization, an authorization that restates another tx, an unknown account are refused", async () => {
    const tx = await sign(direct);
    expect(checkSignedPayment(tx, undefined, { ...expect_, nowSec: NOW + 61 }, account)).toMatchObject({ reason: "INVOICE_EXPIRED" });
    expect(
      checkSignedPayment(tx, { from, to: PAY_TO, amount: "1000", denom: "uneutaro", timeoutAt: NOW - 1 }, expect_, account),
    ).toMatchObject({ reason: "INVOICE_EXPIRED" });
    expect(checkSignedPayment(tx, { from, to: PAY_TO, amount: "1", denom: "uneutaro" }, expect_, account)).toMatchObject({
      reason: "INVALID_PROOF",
    });
    expect(checkSignedPayment(tx, undefined, expect_, null)).toMatchObject({ reason: "PAYMENT_NOT_FOUND" });
  });

  it("a flipped signature byte does not verify", async () => {
    const tx = await sign(direct);
    const sig = Uint8Array.from(tx.raw.signatures[0]!);
    sig[5]! ^= 1;
    const bad = { ...tx, raw: { ...tx.raw, signatures: [sig] } };
    expect(checkSignedPayment(bad, undefined, expect_, account)).toMatchObject({ ok: false, reason: "INVALID_PROOF" });
  });

  it("undecodable or multi-message payloads are values, not exceptions", () => {
    expect(decodeSignedTx("not base64!")).toMatchObject({ ok: false });
    expect(decodeSignedTx(toBase64(new Uint8Array([1, 2, 3])))).toMatchObject({ ok: false });
    expect(decodeSignedTx(toBase64(TxRaw.encode(TxRaw.fromPartial({ signatures: [new Uint8Array(64)] })).finish()))).toMatchObject({
      ok: false,
      message: expect.stringMatching(/exactly one/),
    });
  });

  it("PAYMENT-SIGNATURE with payload.signedTx parses as a signed proof bound to accepted.extra.invoiceId", async () => {
    const tx = await sign(direct);
    const payload = {
      x402Version: 2,
      accepted: { scheme: "exact", network: "cosmos:neutaro-test-1", extra: { invoiceId: MEMO } },
      payload: { signedTx: toBase64(tx.bytes), authorization: { from, to: PAY_TO, amount: "1000", denom: "uneutaro", timeoutAt: NOW } },
    };
    const r = parseProof({ "payment-signature": Buffer.from(JSON.stringify(payload)).toString("base64") }, "cosmos:neutaro-test-1");
    expect(r).toMatchObject({
      kind: "proof",
      proof: { header: "payment-signature", invoiceId: MEMO, signed: { signedTx: toBase64(tx.bytes), authorization: { timeoutAt: NOW } } },
    });
  });
});
