/**
 * Hand-made x402 payment payloads for refusal tests: the 402's requirements from gate402 (decoded by
 * @x402/core), a signed payload from gate402/x402's ExactCosmosScheme for (possibly altered)
 * requirements, and the PAYMENT-SIGNATURE header that presents it against the real requirements.
 */
import { sha256 } from "@cosmjs/crypto";
import { fromBase64, toHex } from "@cosmjs/encoding";
import { x402HTTPClient, x402Client } from "@x402/core/client";
import type { PaymentPayload, PaymentRequired, PaymentRequirements } from "@x402/core/types";
import { encodePaymentSignatureHeader } from "@x402/core/http";
import type { ExactCosmosScheme } from "../../src/x402/index.js";

const http = new x402HTTPClient(new x402Client());

/** Asks `url` without paying; returns the decoded v2 PaymentRequired. */
export async function paymentRequiredOf(url: string, init?: RequestInit): Promise<PaymentRequired> {
  const res = await fetch(url, init);
  if (res.status !== 402) throw new Error(`expected 402 from ${url}, got ${res.status}`);
  return http.getPaymentRequiredResponse((n) => res.headers.get(n), await res.json());
}

/** The payload `scheme` signs for `signFor`, presented as accepting `accepted`. */
export async function signedPayload(
  scheme: ExactCosmosScheme,
  pr: PaymentRequired,
  signFor: PaymentRequirements,
  accepted = pr.accepts[0]!,
): Promise<PaymentPayload> {
  const { payload } = await scheme.createPaymentPayload(2, signFor);
  return { x402Version: 2, resource: pr.resource, accepted, payload };
}

export const headerOf = (p: PaymentPayload): string => encodePaymentSignatureHeader(p);

/** Tx hash (64 uppercase hex) of a signed payload. */
export const txHashOf = (p: PaymentPayload): string => toHex(sha256(fromBase64(p.payload["signedTx"] as string))).toUpperCase();
