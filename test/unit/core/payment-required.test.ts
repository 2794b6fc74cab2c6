import { describe, expect, it } from "vitest";
import { InvoiceCodec } from "../../../src/core/invoices.js";
import { paymentRequired, rfc3339, type PaymentTerms } from "../../../src/core/payment-required.js";
import { CHAIN_ID, DENOM, facts, INVOICE_SECRET, NETWORK, PAY_TO } from "../builders.js";

const NOW = Date.UTC(2026, 10, 21, 12, 0, 0) / 1000; // 2026-11-21T12:00:00Z
const codec = new InvoiceCodec(INVOICE_SECRET, PAY_TO, DENOM, CHAIN_ID);
const invoice = codec.issue({
  amountMicro: 1_000n,
  method: "GET",
  routeId: "GET /api/*",
  expiresAt: NOW + 300,
  issueHeight: 1_204_330,
  nonce: "Yq3x9LkP0aZ7",
  uses: 1,
});
const terms = (over: Partial<PaymentTerms> = {}): PaymentTerms => ({
  payTo: PAY_TO,
  denom: DENOM,
  network: NETWORK,
  currency: "NTMPI",
  prepaidEnabled: true,
  publicUrl: "",
  ...over,
});
const request = facts({ path: "/api/data", pathWithQuery: "/api/data?limit=10" });

const decodeHeader = (h: string | undefined) => JSON.parse(Buffer.from(h!, "base64").toString("utf8")) as Record<string, unknown>;

describe("paymentRequired", () => {
  it("the 402 body has exactly docs/design.md's shape and values", () => {
    const { status, headers, body } = paymentRequired(terms(), invoice, request, NOW);
    expect(status).toBe(402);
    expect(headers["content-type"]).toBe("application/json");
    const description = "Payment of 0.001000 NTMPI required for GET /api/data";
    expect(body).toStrictEqual({
      error: "PAYMENT_REQUIRED",
      message: description,
      payment: {
        invoiceId: invoice.id,
        memo: invoice.id,
        amount: "0.001000",
        amountMicro: "1000",
        currency: "NTMPI",
        denom: "uneutaro",
        address: PAY_TO,
        network: "cosmos:Neutaro-1",
        expiresAt: "2026-11-21T12:05:00Z",
        verifyUrl: `https://api.example.com/invoices/${invoice.id}`,
        clawpurse: `clawpurse send ${PAY_TO} 0.001000 --memo ${invoice.id} --yes`,
      },
      prepaid: {
        accountsUrl: "https://api.example.com/prepaid/accounts",
        depositUrl: "https://api.example.com/prepaid/deposit",
        balanceUrl: "https://api.example.com/prepaid/balance/{clientId}",
      },
      x402Version: 1,
      accepts: [
        {
          scheme: "exact",
          network: "cosmos:Neutaro-1",
          maxAmountRequired: "1000",
          asset: "uneutaro",
          payTo: PAY_TO,
          resource: "https://api.example.com/api/data?limit=10",
          description,
          mimeType: "application/json",
          maxTimeoutSeconds: 300,
          extra: { invoiceId: invoice.id, memo: invoice.id, decimals: 6 },
        },
      ],
    });
  });

  it("the body is plain JSON: it survives JSON.stringify with no bigint", () => {
    const { body } = paymentRequired(terms(), invoice, request, NOW);
    expect(JSON.parse(JSON.stringify(body))).toStrictEqual(body);
  });

  it("the PAYMENT-REQUIRED header decodes to the x402 v2 PaymentRequired", () => {
    const { headers } = paymentRequired(terms(), invoice, request, NOW);
    expect(decodeHeader(headers["payment-required"])).toStrictEqual({
      x402Version: 2,
      error: "Payment required",
      resource: {
        url: "https://api.example.com/api/data?limit=10",
        description: "Payment of 0.001000 NTMPI required for GET /api/data",
        mimeType: "application/json",
      },
      accepts: [
        {
          scheme: "exact",
          network: "cosmos:Neutaro-1",
          amount: "1000",
          asset: "uneutaro",
          payTo: PAY_TO,
          maxTimeoutSeconds: 300,
          extra: { invoiceId: invoice.id, memo: invoice.id, decimals: 6 },
        },
      ],
    });
  });

  it("the prepaid block is left out when prepaid is disabled", () => {
    const { body } = paymentRequired(terms({ prepaidEnabled: false }), invoice, request, NOW);
    expect(body).not.toHaveProperty("prepaid");
  });

  it("links and the x402 resource use the public URL when one is configured", () => {
    const { body, headers } = paymentRequired(
      terms({ publicUrl: "https://pay.example.com" }),
      invoice,
      facts({ scheme: "http", path: "/api/data", pathWithQuery: "/api/data?limit=10" }),
      NOW,
    );
    expect(body["payment"]).toMatchObject({ verifyUrl: `https://pay.example.com/invoices/${invoice.id}` });
    expect(body["prepaid"]).toMatchObject({ accountsUrl: "https://pay.example.com/prepaid/accounts" });
    expect((body["accepts"] as { resource: string }[])[0]!.resource).toBe("https://pay.example.com/api/data?limit=10");
    expect((decodeHeader(headers["payment-required"])["resource"] as { url: string }).url).toBe(
      "https://pay.example.com/api/data?limit=10",
    );
  });

  it("without a public URL, links are absolute on the request's scheme and host (forwarded by the proxy)", () => {
    const { body } = paymentRequired(
      terms(),
      invoice,
      facts({ scheme: "http", host: "shop.example:8080", path: "/x", pathWithQuery: "/x" }),
      NOW,
    );
    expect(body["payment"]).toMatchObject({ verifyUrl: `http://shop.example:8080/invoices/${invoice.id}` });
    expect(body["prepaid"]).toMatchObject({ depositUrl: "http://shop.example:8080/prepaid/deposit" });
    expect((body["accepts"] as { resource: string }[])[0]!.resource).toBe("http://shop.example:8080/x");
  });

  it("amounts of whole and large prices keep 6 decimals and exact micro strings", () => {
    const big = codec.issue({ ...fieldsOf(invoice), amountMicro: 12_345_678_901_234_567n });
    const { body, headers } = paymentRequired(terms(), big, request, NOW);
    expect(body["payment"]).toMatchObject({ amount: "12345678901.234567", amountMicro: "12345678901234567" });
    expect((body["accepts"] as { maxAmountRequired: string }[])[0]!.maxAmountRequired).toBe("12345678901234567");
    expect((decodeHeader(headers["payment-required"])["accepts"] as { amount: string }[])[0]!.amount).toBe("12345678901234567");
  });

  it("a refusal reason sets status and error, and the detail leads the message", () => {
    const { status, body, headers } = paymentRequired(
      terms(),
      invoice,
      request,
      NOW,
      "INVALID_PROOF",
      "tx hash in X-Payment-Proof must be 64 hex characters",
    );
    expect(status).toBe(400);
    expect(body["error"]).toBe("INVALID_PROOF");
    expect(body["message"]).toBe(
      "tx hash in X-Payment-Proof must be 64 hex characters. Payment of 0.001000 NTMPI required for GET /api/data",
    );
    expect(decodeHeader(headers["payment-required"])["error"]).toBe("Malformed payment proof");
  });

  it("maxTimeoutSeconds counts down to expiry and never drops below 1", () => {
    expect(
      (paymentRequired(terms(), invoice, request, NOW + 250).body["accepts"] as { maxTimeoutSeconds: number }[])[0]!.maxTimeoutSeconds,
    ).toBe(50);
    expect(
      (paymentRequired(terms(), invoice, request, NOW + 900).body["accepts"] as { maxTimeoutSeconds: number }[])[0]!.maxTimeoutSeconds,
    ).toBe(1);
  });
});

describe("rfc3339", () => {
  it("is RFC 3339 UTC without milliseconds", () => {
    expect(rfc3339(NOW + 300)).toBe("2026-11-21T12:05:00Z");
    expect(rfc3339(0)).toBe("1970-01-01T00:00:00Z");
    expect(rfc3339(NOW + 300)).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
  });
});

function fieldsOf(inv: typeof invoice) {
  const { id: _id, ...rest } = inv;
  return rest;
}
