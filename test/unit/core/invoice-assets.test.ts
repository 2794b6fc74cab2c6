import { describe, expect, it } from "vitest";
import { assetTag, InvoiceCodec } from "../../../src/core/invoices.js";

const SECRET = "unit-invoice-secret-0123456789abcdef0123456789";
const PAY_TO = "neutaro1qqqsyqcyq5rqwzqfpg9scrgwpugpzysn6fx2cw";
const IBC = "ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2";
const REMOTE = { chainId: "Devnet-2", payTo: "cosmos1remoteaddressxxxxxxxxxxxxxxxxxxxxxx", denom: "uatom" };
const fields = {
  amountMicro: 2500n,
  method: "GET",
  routeId: "GET /api/*",
  expiresAt: 1_795_435_500,
  issueHeight: 7,
  nonce: "n0nce",
  uses: 1,
};

describe("invoices naming their asset", () => {
  const v1Only = new InvoiceCodec(SECRET, PAY_TO, "uneutaro", "Neutaro-1");
  const multi = new InvoiceCodec(SECRET, PAY_TO, "uneutaro", "Neutaro-1", [{ chainId: "Neutaro-1", payTo: PAY_TO, denom: IBC }, REMOTE]);

  it("a primary invoice is a version-1 id, identical to the single-asset codec's, and verifies with both", () => {
    const old = v1Only.issue(fields);
    const now = multi.issue(fields);
    expect(now.id).toBe(old.id);
    expect(JSON.parse(Buffer.from(old.id.split(".")[0]!, "base64url").toString())[0]).toBe(1);
    expect(multi.verify(old.id)).toMatchObject({ network: "cosmos:Neutaro-1", denom: "uneutaro", payTo: PAY_TO, amountMicro: 2500n });
  });

  it("another asset's invoice is a version-2 id carrying its tag; it verifies to that asset's network, denom and payTo", () => {
    const inv = multi.issue({ ...fields, asset: { network: "cosmos:Devnet-2", denom: "uatom" } });
    const payload = JSON.parse(Buffer.from(inv.id.split(".")[0]!, "base64url").toString());
    expect(payload.slice(0, 2)).toEqual([2, assetTag("Devnet-2", "uatom")]);
    expect(multi.verify(inv.id)).toEqual({ ...fields, id: inv.id, network: "cosmos:Devnet-2", denom: "uatom", payTo: REMOTE.payTo });
    const ibc = multi.issue({ ...fields, asset: { network: "cosmos:Neutaro-1", denom: IBC } });
    expect(multi.verify(ibc.id)).toMatchObject({ denom: IBC, network: "cosmos:Neutaro-1" });
    expect(ibc.id.length).toBeLessThanOrEqual(255);
  });

  it("a version-2 id is refused by a codec that does not accept its asset, and a tag swapped to another asset fails the MAC", () => {
    const inv = multi.issue({ ...fields, asset: { network: "cosmos:Devnet-2", denom: "uatom" } });
    expect(v1Only.verify(inv.id)).toBeNull();
    const [b64, mac] = inv.id.split(".");
    const payload = JSON.parse(Buffer.from(b64!, "base64url").toString());
    payload[1] = assetTag("Neutaro-1", IBC);
    expect(multi.verify(`${Buffer.from(JSON.stringify(payload)).toString("base64url")}.${mac}`)).toBeNull();
  });

  it("issuing in an asset the codec does not accept throws", () => {
    expect(() => v1Only.issue({ ...fields, asset: { network: "cosmos:Devnet-2", denom: "uatom" } })).toThrow(RangeError);
  });
});
