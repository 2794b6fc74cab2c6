/**
 * Offers besides a single request in a gate402 402 (x402 `accepts` entries whose `extra.offer` is
 * "bundle" with `extra.uses`, or "pass" with `extra.pass {scope, seconds}`), and the choice among them
 * by the caller's preference. Like the invoice itself, every offer is attacker-controlled input:
 * validated with zod; a malformed offer is skipped, never paid.
 */
import { z } from "zod";
import { decodeBase64Json, MAX_HEADER_CHARS, offerSchema, type ClientInvoice, type InvoiceAcceptance } from "./invoice.js";

export type OfferPreference = "single" | "bundle" | "pass";

/** A payable offer: the invoice plus what it buys. */
export interface ClientOffer extends ClientInvoice {
  readonly kind: OfferPreference;
  /** requests it buys (1 for single and pass) */
  readonly uses: number;
  /** pass only */
  readonly scope?: string;
  /** pass only: lifetime in seconds */
  readonly seconds?: number;
}

const extraSchema = z.union([
  z.object({ offer: z.literal("bundle"), uses: z.number().int().min(2).max(1_000_000) }).passthrough(),
  z
    .object({
      offer: z.literal("pass"),
      pass: z
        .object({ scope: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/), seconds: z.number().int().min(1).max(31_536_000) })
        .passthrough(),
    })
    .passthrough(),
]);
const record = z.record(z.string(), z.unknown());

function accepts(header: string | null, body: unknown): { list: unknown[]; amountField: "amount" | "maxAmountRequired" } {
  if (header !== null && header.length <= MAX_HEADER_CHARS) {
    try {
      const pr = record.parse(decodeBase64Json(header));
      if (Array.isArray(pr["accepts"])) return { list: pr["accepts"].slice(0, 32), amountField: "amount" };
    } catch {
      // readInvoice already refused a malformed header
    }
    return { list: [], amountField: "amount" };
  }
  const b = record.safeParse(body);
  const list = b.success && Array.isArray(b.data["accepts"]) ? b.data["accepts"].slice(0, 32) : [];
  return { list, amountField: "maxAmountRequired" };
}

/** The bundle and pass offers of a 402 from the same source readInvoice uses; malformed ones are skipped. */
export function readOffers(paymentRequired: string | null, body: unknown, accept: InvoiceAcceptance): ClientOffer[] {
  const { list, amountField } = accepts(paymentRequired, body);
  const out: ClientOffer[] = [];
  for (const raw of list) {
    const e = record.safeParse(raw);
    if (!e.success) continue;
    const extra = extraSchema.safeParse(e.data["extra"]);
    if (!extra.success) continue;
    const ex = record.parse(e.data["extra"]);
    const parsed = offerSchema(accept.prefix).safeParse({
      scheme: e.data["scheme"],
      network: e.data["network"],
      asset: e.data["asset"],
      amount: e.data[amountField],
      payTo: e.data["payTo"],
      invoiceId: ex["invoiceId"],
      memo: ex["memo"] ?? ex["invoiceId"],
    });
    if (!parsed.success || !accept.networks.includes(parsed.data.network) || !accept.denoms.includes(parsed.data.asset)) continue;
    const o = parsed.data;
    const base = {
      source: paymentRequired !== null ? "x402-v2-header" : "x402-v1-body",
      invoiceId: o.invoiceId,
      memo: o.memo,
      payTo: o.payTo,
      amountMicro: BigInt(o.amount),
      denom: o.asset,
      network: o.network,
    } as const;
    const x = extra.data;
    out.push(
      x.offer === "bundle"
        ? { ...base, kind: "bundle", uses: x.uses }
        : { ...base, kind: "pass", uses: 1, scope: x.pass.scope, seconds: x.pass.seconds },
    );
  }
  return out;
}

/**
 * The offer to pay: with `prefer` "bundle", the bundle with the lowest price per request; with "pass",
 * the pass with the lowest price per second — among those whose whole price fits `maxPerRequestMicro`
 * (the cap applies to the amount actually paid). Falls back to the single request.
 */
export function pickOffer(
  single: ClientInvoice,
  offers: readonly ClientOffer[],
  prefer: OfferPreference,
  maxPerRequestMicro: bigint,
): ClientOffer {
  const fallback: ClientOffer = { ...single, kind: "single", uses: 1 };
  if (prefer === "single") return fallback;
  const affordable = offers.filter((o) => o.kind === prefer && o.amountMicro <= maxPerRequestMicro && o.payTo === single.payTo);
  // Compare a/b < c/d as a·d < c·b: bigint, no rounding.
  const unit = (o: ClientOffer) => BigInt(prefer === "pass" ? (o.seconds ?? 1) : o.uses);
  const best = affordable.reduce<ClientOffer | undefined>(
    (b, o) => (b === undefined || o.amountMicro * unit(b) < b.amountMicro * unit(o) ? o : b),
    undefined,
  );
  return best ?? fallback;
}
