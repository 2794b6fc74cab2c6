import { z } from "zod";
import type { SignedAuthorization } from "./signed-tx/verify.js";

/**
 * Payment proof headers (docs/design.md "Request headers"):
 * - `X-Payment-Proof`: `<invoiceId>`, `<txHash>` or `<invoiceId>:<txHash>` (ClawPurse Gateway compatible)
 * - `PAYMENT-SIGNATURE` (x402 v2) / `X-PAYMENT` (x402 v1): base64 JSON PaymentPayload whose `payload`
 *   for scheme `exact` on our network is `{ txHash, invoiceId? }`.
 * Parsing never throws: malformed input is a value, rendered as 400 INVALID_PROOF.
 */
export type ProofHeader = "x-payment-proof" | "payment-signature" | "x-payment";

/** Header names the gate consumes and strips before upstream. */
export const PROOF_HEADERS: readonly ProofHeader[] = ["x-payment-proof", "payment-signature", "x-payment"];

/**
 * A parsed proof: one of three shapes, told apart by which field is set (no tag field: the parsed
 * objects are exactly what the wire carried). Narrow with `proof.signed !== undefined` (signed tx),
 * then `proof.txHash !== undefined` (tx hash); what remains names an invoice only.
 */
export type PaymentProof = TxHashProof | InvoiceOnlyProof | SignedTxProof;

/** A proof a chain lookup checks: by tx hash, or by the invoice id alone (pay-per-request.ts). */
export type ChainProof = TxHashProof | InvoiceOnlyProof;

/** `<txHash>`, `<invoiceId>:<txHash>`, or x402 `payload.txHash` (with its `payload.invoiceId` when sent). */
export interface TxHashProof {
  readonly header: ProofHeader;
  /** 64 uppercase hex */
  readonly txHash: string;
  readonly invoiceId?: string;
  readonly signed?: undefined;
}

/** `<invoiceId>` alone: the gate finds the payment whose memo is the invoice id. */
export interface InvoiceOnlyProof {
  readonly header: ProofHeader;
  readonly invoiceId: string;
  readonly txHash?: undefined;
  readonly signed?: undefined;
}

/** x402 `payload.signedTx` (Cosmos `exact`): base64 TxRaw plus its authorization; see core/signed-tx. */
export interface SignedTxProof {
  readonly header: ProofHeader;
  readonly signed: SignedProof;
  /** `accepted.extra.invoiceId` of the payload, when it names one */
  readonly invoiceId?: string;
  readonly txHash?: undefined;
}

/** `payload.signedTx` (base64 TxRaw) and `payload.authorization` of the Cosmos `exact` scheme. */
export interface SignedProof {
  readonly signedTx: string;
  readonly authorization?: SignedAuthorization;
}

export type ProofParse =
  | { readonly kind: "none" }
  | { readonly kind: "proof"; readonly proof: PaymentProof }
  | { readonly kind: "invalid"; readonly header: ProofHeader; readonly message: string };

const TX_HASH_RE = /^[0-9a-fA-F]{64}$/;
const INVOICE_ID_RE = /^[A-Za-z0-9_.-]{16,255}$/;
const MAX_PROOF_HEADER = 8192;

const hashPayload = z.object({
  txHash: z.string().regex(TX_HASH_RE, "txHash must be 64 hex characters"),
  invoiceId: z.string().regex(INVOICE_ID_RE).optional(),
});
/**
 * The payload of an x402 `exact` Cosmos payment carrying a signed tx (base64 TxRaw in `signedTx`), with the
 * optional authorization summary clients attach; shared by the gate's proof parser and the facilitator.
 */
export const signedPayload = z.object({
  signedTx: z.string().min(1).max(8192),
  authorization: z
    .object({
      from: z.string().max(128),
      to: z.string().max(128),
      amount: z.string().regex(/^\d{1,40}$/),
      denom: z.string().max(128),
      timeoutAt: z
        .union([
          z.number().int().nonnegative(),
          z
            .string()
            .regex(/^\d{1,12}$/)
            .transform(Number),
        ])
        .optional(),
    })
    .passthrough()
    .optional(),
});
const x402Payload = z.union([hashPayload, signedPayload]);
const x402v2 = z
  .object({
    x402Version: z.literal(2),
    accepted: z.object({ scheme: z.string(), network: z.string() }).passthrough(),
    payload: x402Payload,
  })
  .passthrough();
const x402v1 = z
  .object({
    x402Version: z.literal(1),
    scheme: z.string(),
    network: z.string(),
    payload: x402Payload,
  })
  .passthrough();

function invalid(header: ProofHeader, message: string): ProofParse {
  return { kind: "invalid", header, message };
}

function parseClawpurse(raw: string): ProofParse {
  const h = "x-payment-proof" as const;
  const v = raw.trim();
  if (TX_HASH_RE.test(v)) return { kind: "proof", proof: { header: h, txHash: v.toUpperCase() } };
  const colon = v.lastIndexOf(":");
  const invoiceId = colon >= 0 ? v.slice(0, colon) : v;
  const txHash = colon >= 0 ? v.slice(colon + 1) : undefined;
  if (!INVOICE_ID_RE.test(invoiceId)) return invalid(h, "X-Payment-Proof must be <invoiceId>, <txHash> or <invoiceId>:<txHash>");
  if (txHash !== undefined && !TX_HASH_RE.test(txHash)) return invalid(h, "tx hash in X-Payment-Proof must be 64 hex characters");
  const proof: ChainProof =
    txHash === undefined ? { header: h, invoiceId, txHash: undefined } : { header: h, invoiceId, txHash: txHash.toUpperCase() };
  return { kind: "proof", proof };
}

function decodeBase64Json(raw: string): unknown {
  const s = raw.trim();
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(s)) throw new Error("not base64");
  return JSON.parse(Buffer.from(s, "base64").toString("utf8"));
}

function parseX402(header: "payment-signature" | "x-payment", raw: string, networks: readonly string[]): ProofParse {
  let json: unknown;
  try {
    json = decodeBase64Json(raw);
  } catch {
    return invalid(header, `${header} must be base64-encoded JSON`);
  }
  const parsed = (header === "payment-signature" ? x402v2 : x402v1).safeParse(json);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    if (first?.code === "invalid_union") {
      return invalid(header, `${header} payload needs payload.txHash (64 hex) or payload.signedTx (base64 TxRaw)`);
    }
    const version = header === "payment-signature" ? 2 : 1;
    return invalid(header, `${header} is not an x402 v${version} PaymentPayload: ${first?.path.join(".")} ${first?.message}`);
  }
  const data = parsed.data as {
    accepted?: { scheme: string; network: string };
    scheme?: string;
    network?: string;
    payload: z.infer<typeof x402Payload>;
  };
  const scheme = data.accepted?.scheme ?? data.scheme;
  const net = data.accepted?.network ?? data.network;
  if (scheme !== "exact") return invalid(header, `unsupported x402 scheme "${scheme}" (only "exact")`);
  if (net === undefined || !networks.includes(net)) return invalid(header, `x402 network "${net}" is not ${networks.join(" or ")}`);
  const p = data.payload;
  if ("signedTx" in p) {
    const extra = (data.accepted as { extra?: { invoiceId?: unknown } } | undefined)?.extra;
    const invoiceId = typeof extra?.invoiceId === "string" && INVOICE_ID_RE.test(extra.invoiceId) ? extra.invoiceId : undefined;
    return { kind: "proof", proof: { header, invoiceId, signed: { signedTx: p.signedTx, authorization: p.authorization } } };
  }
  return { kind: "proof", proof: { header, txHash: p.txHash.toUpperCase(), invoiceId: p.invoiceId } };
}

/**
 * Reads the first proof header present (X-Payment-Proof, then PAYMENT-SIGNATURE, then X-PAYMENT).
 * @param headers lowercased request headers
 * @param network our CAIP-2 network(s), e.g. "cosmos:Neutaro-1" (x402 payloads must name one of them)
 */
export function parseProof(headers: Readonly<Record<string, string>>, network: string | readonly string[]): ProofParse {
  const networks = typeof network === "string" ? [network] : network;
  for (const h of PROOF_HEADERS) {
    const raw = headers[h];
    if (raw === undefined) continue;
    if (raw.length > MAX_PROOF_HEADER) return invalid(h, `${h} is longer than ${MAX_PROOF_HEADER} bytes`);
    if (!/^[\x20-\x7e]*$/.test(raw)) return invalid(h, `${h} must be printable ASCII`);
    return h === "x-payment-proof" ? parseClawpurse(raw) : parseX402(h, raw, networks);
  }
  return { kind: "none" };
}
