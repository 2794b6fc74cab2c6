/**
 * Reads the invoice out of a 402 answer, which is attacker-controlled input: every field is validated
 * with zod before anything is paid. Sources, first match wins (docs/design.md "The 402 response"):
 * 1. the `PAYMENT-REQUIRED` header: base64 JSON x402 v2 PaymentRequired (per x402 v2 transport spec);
 * 2. the JSON body's x402 v1 `accepts` array;
 * 3. the JSON body's ClawPurse `payment` object.
 * A source that is present but malformed is refused (MALFORMED_INVOICE); we never fall back past it,
 * so a server cannot hide a bad offer behind a good-looking one.
 */
import { fromBech32 } from "@cosmjs/encoding";
import { z } from "zod";
import { AmountFormatError, parseCoins } from "../money.js";
import { PolicyViolationError } from "./errors.js";
import type { ClientInvoice } from "./invoice-shape.js";

export type { ClientInvoice } from "./invoice-shape.js";

/** What the caller accepts: offers on other networks/denoms are skipped, not paid. */
export interface InvoiceAcceptance {
  readonly networks: readonly string[];
  readonly denoms: readonly string[];
  /** bech32 prefix payTo must have, e.g. "neutaro" */
  readonly prefix: string;
}

/** Upper bound on the PAYMENT-REQUIRED header we are willing to decode. */
export const MAX_HEADER_CHARS = 8 * 1024;

const INVOICE_ID = /^[A-Za-z0-9_.-]{16,255}$/;
const CAIP2 = /^[-a-z0-9]{3,8}:[-_a-zA-Z0-9]{1,32}$/;
const DENOM = /^[a-zA-Z][a-zA-Z0-9/:._-]{2,127}$/;
const MICRO = /^[1-9][0-9]{0,29}$/;

function bech32With(prefix: string) {
  return (s: string): boolean => {
    try {
      const { prefix: p, data } = fromBech32(s, 128);
      return p === prefix && (data.length === 20 || data.length === 32);
    } catch {
      return false;
    }
  };
}

/** Strict shape of one payable offer (payTo must carry `prefix`); shared with offers.ts. */
export function offerSchema(prefix: string) {
  return z.object({
    scheme: z.literal("exact"),
    network: z.string().regex(CAIP2, "network must be a CAIP-2 id"),
    asset: z.string().regex(DENOM, "asset must be a Cosmos denom"),
    amount: z.string().regex(MICRO, "amount must be a positive integer string of micro-units"),
    payTo: z.string().max(128).refine(bech32With(prefix), `payTo must be a valid ${prefix}1… bech32 address`),
    invoiceId: z.string().regex(INVOICE_ID, "invoiceId must be 16-255 URL-safe characters"),
    memo: z.string().regex(INVOICE_ID, "memo must be 16-255 URL-safe characters"),
  });
}

const record = z.record(z.string(), z.unknown());
const looseOffer = z.object({ scheme: z.string(), network: z.string(), asset: z.string() });

type Candidate = Record<string, unknown>;
type Source = ClientInvoice["source"];

const malformed = (what: string) => new PolicyViolationError("MALFORMED_INVOICE", what);

function fields(raw: unknown): Record<string, unknown> {
  const r = record.safeParse(raw);
  return r.success ? r.data : {};
}

/** x402 accepts entry (v1 calls the amount maxAmountRequired, v2 amount) → common candidate. */
function fromAccepts(raw: unknown, amountField: "amount" | "maxAmountRequired"): Candidate {
  const e = fields(raw);
  const extra = fields(e["extra"]);
  return {
    scheme: e["scheme"],
    network: e["network"],
    asset: e["asset"],
    amount: e[amountField],
    payTo: e["payTo"],
    invoiceId: extra["invoiceId"],
    memo: extra["memo"] ?? extra["invoiceId"],
  };
}

function fromClawpurse(raw: unknown): Candidate {
  const p = fields(raw);
  if (typeof p["amount"] === "string" && typeof p["amountMicro"] === "string") {
    // The display amount and the micro amount must agree, or the server is trying to confuse someone.
    let display: bigint | undefined;
    try {
      display = parseCoins(p["amount"]);
    } catch (err) {
      if (!(err instanceof AmountFormatError)) throw err;
    }
    if (display === undefined || display.toString() !== p["amountMicro"])
      throw malformed("payment.amount and payment.amountMicro disagree");
  }
  return {
    scheme: "exact",
    network: p["network"],
    asset: p["denom"],
    amount: p["amountMicro"],
    payTo: p["address"],
    invoiceId: p["invoiceId"],
    memo: p["memo"] ?? p["invoiceId"],
  };
}

/** Picks the first offer we accept, validates it strictly, or says precisely why none can be paid. */
function choose(source: Source, candidates: readonly Candidate[], accept: InvoiceAcceptance): ClientInvoice {
  const shaped = candidates.filter((c) => looseOffer.safeParse(c).success);
  if (shaped.length === 0) throw malformed(`${source}: no offer with scheme, network and asset`);
  const exact = shaped.filter((c) => c["scheme"] === "exact");
  const onNetwork = exact.filter((c) => accept.networks.includes(String(c["network"])));
  if (onNetwork.length === 0) {
    throw new PolicyViolationError(
      "NETWORK_NOT_ALLOWED",
      `${source}: no "exact" offer on ${accept.networks.join(", ")} (offered: ${shaped
        .map((c) => `${String(c["scheme"])}/${String(c["network"])}`)
        .join(", ")
        .slice(0, 200)})`,
    );
  }
  const usable = onNetwork.find((c) => accept.denoms.includes(String(c["asset"])));
  if (!usable)
    throw new PolicyViolationError(
      "DENOM_NOT_ALLOWED",
      `${source}: asset ${String(onNetwork[0]!["asset"]).slice(0, 64)} is not one of ${accept.denoms.join(", ")}`,
    );
  const parsed = offerSchema(accept.prefix).safeParse(usable);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw malformed(`${source}: ${issue?.path.join(".")}: ${issue?.message}`);
  }
  const o = parsed.data;
  return {
    source,
    invoiceId: o.invoiceId,
    memo: o.memo,
    payTo: o.payTo,
    amountMicro: BigInt(o.amount),
    denom: o.asset,
    network: o.network,
  };
}

/** base64 (standard or URL-safe) → JSON, with web APIs only (atob, TextDecoder). */
export function decodeBase64Json(raw: string): unknown {
  const s = raw.trim();
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(s)) throw new Error("not base64");
  const bin = atob(s.replace(/-/g, "+").replace(/_/g, "/"));
  const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
}

const v2Header = z.object({ x402Version: z.literal(2), accepts: z.array(z.unknown()).min(1).max(32) });
const v1Body = z.object({ x402Version: z.literal(1), accepts: z.array(z.unknown()).min(1).max(32) });

function fromHeader(value: string, accept: InvoiceAcceptance): ClientInvoice {
  if (value.length > MAX_HEADER_CHARS) throw malformed(`PAYMENT-REQUIRED header longer than ${MAX_HEADER_CHARS} characters`);
  let json: unknown;
  try {
    json = decodeBase64Json(value);
  } catch {
    throw malformed("PAYMENT-REQUIRED header is not base64-encoded JSON");
  }
  const pr = v2Header.safeParse(json);
  if (!pr.success) throw malformed("PAYMENT-REQUIRED header is not an x402 v2 PaymentRequired");
  return choose(
    "x402-v2-header",
    pr.data.accepts.map((a) => fromAccepts(a, "amount")),
    accept,
  );
}

/**
 * Reads and validates the invoice of a 402 response.
 * @param paymentRequired value of the `PAYMENT-REQUIRED` header, if any
 * @param body the parsed JSON body (undefined when absent or not JSON)
 * @throws PolicyViolationError MALFORMED_INVOICE | NETWORK_NOT_ALLOWED | DENOM_NOT_ALLOWED
 */
export function readInvoice(paymentRequired: string | null, body: unknown, accept: InvoiceAcceptance): ClientInvoice {
  if (paymentRequired !== null) return fromHeader(paymentRequired, accept);
  const b = fields(body);
  if (b["accepts"] !== undefined) {
    const v1 = v1Body.safeParse(b);
    if (!v1.success) throw malformed("body.accepts is not an x402 v1 accepts list");
    return choose(
      "x402-v1-body",
      v1.data.accepts.map((a) => fromAccepts(a, "maxAmountRequired")),
      accept,
    );
  }
  if (b["payment"] !== undefined) return choose("clawpurse-body", [fromClawpurse(b["payment"])], accept);
  throw malformed("402 without PAYMENT-REQUIRED header, accepts or payment");
}
