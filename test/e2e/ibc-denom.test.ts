/**
 * An IBC voucher as the payment asset (GATEWAY_DENOM=ibc/<hash>) on the devnet, whose wallets hold it
 * besides the native uneutaro they pay fees in: verification sums transfers in the invoice's denom only.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectPayer, type DemoPayer } from "../../src/demo/payer.js";
import { deniedBody, envoyCheck, httpStatus, okResponseHeaders } from "../support/check-request.js";
import { checkClient, type ExtAuthzClient } from "../support/extauthz-client.js";
import { startStack, type Stack } from "../support/stack.js";

// The ATOM voucher's denom on many chains: sha256("transfer/channel-0/uatom"), uppercase hex.
const IBC_ATOM = "ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2";

let stack: Stack;
let client: ExtAuthzClient;
let ibcPayer: DemoPayer;

beforeAll(async () => {
  stack = await startStack({
    env: { GATEWAY_DENOM: IBC_ATOM, GATEWAY_CURRENCY: "ATOM", GATEWAY_WATCHER: "false" },
    devnet: { extraDenoms: [IBC_ATOM] },
  });
  client = checkClient(`127.0.0.1:${stack.gw.grpcPort}`);
  // Pays in the voucher, fees in the chain's native denom.
  ibcPayer = await connectPayer(stack.devnet.rpcUrl, stack.devnet.wallets[2]!.mnemonic, IBC_ATOM, `0.025${stack.devnet.denom}`);
});
afterAll(async () => {
  ibcPayer?.disconnect();
  client?.close();
  await stack?.stop();
});

async function invoice() {
  const res = await client.check(envoyCheck({ path: "/api/data" }));
  expect(httpStatus(res)).toBe(402);
  return deniedBody(res);
}

describe("an IBC denom as the payment asset", () => {
  it("the 402 asks for the IBC denom in payment and in x402 accepts, named by GATEWAY_CURRENCY", async () => {
    const body = await invoice();
    expect(body.payment).toMatchObject({ denom: IBC_ATOM, currency: "ATOM", amount: "0.001000" });
    expect(body.message).toBe("Payment of 0.001000 ATOM required for GET /api/data");
    expect(body.accepts[0].asset).toBe(IBC_ATOM);
    const health = await (await fetch(`${stack.gw.httpUrl}/health`)).json();
    expect(health).toMatchObject({ currency: "ATOM", denom: IBC_ATOM });
  });

  it("an invoice paid in the IBC denom is allowed", async () => {
    const { payment: p } = await invoice();
    const { txHash, code } = await ibcPayer.send(p.address, BigInt(p.amountMicro), p.memo);
    expect(code).toBe(0);
    expect(stack.devnet.balance(p.address, IBC_ATOM)).toBeGreaterThanOrEqual(BigInt(p.amountMicro));
    const ok = await client.check(envoyCheck({ path: "/api/data", headers: { "x-payment-proof": `${p.invoiceId}:${txHash}` } }));
    expect(httpStatus(ok)).toBe(200);
    const receipt = JSON.parse(Buffer.from(okResponseHeaders(ok)["payment-response"]!, "base64").toString());
    expect(receipt).toMatchObject({ success: true, transaction: txHash });
  });

  it("the same amount paid in the native denom is INSUFFICIENT_AMOUNT", async () => {
    const { payment: p } = await invoice();
    const { txHash } = await stack.agent.send(p.address, BigInt(p.amountMicro), p.memo); // uneutaro
    const res = await client.check(envoyCheck({ path: "/api/data", headers: { "x-payment-proof": `${p.invoiceId}:${txHash}` } }));
    expect(httpStatus(res)).toBe(402);
    expect(deniedBody(res).error).toBe("INSUFFICIENT_AMOUNT");
  });

  it("a prepaid deposit counts only the IBC denom: uneutaro sent to the deposit address credits nothing", async () => {
    const acct = await (await fetch(`${stack.gw.httpUrl}/prepaid/accounts`, { method: "POST" })).json();
    const native = await stack.agent.send(acct.depositAddress, 5000n, acct.depositMemo);
    const refused = await fetch(`${stack.gw.httpUrl}/prepaid/deposit`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ clientId: acct.clientId, txHash: native.txHash }),
    });
    expect(refused.status).toBe(422);
    const voucher = await ibcPayer.send(acct.depositAddress, 3000n, acct.depositMemo);
    const credited = await fetch(`${stack.gw.httpUrl}/prepaid/deposit`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ clientId: acct.clientId, txHash: voucher.txHash }),
    });
    expect(credited.status).toBe(200);
    expect((await stack.gw.store.getAccount(acct.clientId))!.balanceMicro).toBe(3000n);
  });
});
