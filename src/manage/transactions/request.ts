/**
 * The body of POST /manage/transactions, validated and normalised into an Intent, and the canonical
 * hash that decides whether a repeated Idempotency-Key carries the same request.
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import { type AmountFormatError, parseCoins } from "../../money.js";
import { CLIENT_ID } from "../http.js";

export const TRANSACTION_KINDS = ["credit", "refund", "adjustment", "transfer"] as const;
export type TransactionKind = (typeof TRANSACTION_KINDS)[number];

/** Largest amount one transaction moves: 1,000,000,000 NTMPI, in uneutaro. */
export const MAX_AMOUNT_MICRO = 10n ** 15n;

export const transactionBody = z
  .object({
    kind: z.enum(TRANSACTION_KINDS),
    clientId: CLIENT_ID.optional(),
    from: CLIENT_ID.optional(),
    to: CLIENT_ID.optional(),
    /** decimal NTMPI, up to 6 decimals; a leading "-" only for adjustments */
    amount: z.string().max(40).optional(),
    /** uneutaro as a base-10 string; a leading "-" only for adjustments */
    amountMicro: z
      .string()
      .regex(/^-?\d{1,19}$/, "amountMicro must be a base-10 integer string")
      .optional(),
    reason: z.string().trim().min(1).max(500),
  })
  .strict();

/** A validated movement request: amounts in uneutaro, signed only for adjustments. */
export interface Intent {
  readonly kind: TransactionKind;
  /** credit, refund, adjustment */
  readonly clientId: string | null;
  /** transfer */
  readonly from: string | null;
  readonly to: string | null;
  readonly amountMicro: bigint;
  readonly reason: string;
}

function amountOf(b: z.infer<typeof transactionBody>): bigint | string {
  if ((b.amount === undefined) === (b.amountMicro === undefined)) return "give exactly one of amount (NTMPI) or amountMicro (uneutaro)";
  if (b.amountMicro !== undefined) return BigInt(b.amountMicro);
  const raw = b.amount!.trim();
  try {
    return raw.startsWith("-") ? -parseCoins(raw.slice(1)) : parseCoins(raw);
  } catch (err) {
    return (err as AmountFormatError).message;
  }
}

function accountsOf(b: z.infer<typeof transactionBody>): string | null {
  if (b.kind === "transfer") {
    if (!b.from || !b.to || b.clientId) return "a transfer needs from and to (and no clientId)";
    if (b.from === b.to) return "from and to must be different accounts";
  } else if (!b.clientId || b.from || b.to) {
    return `a ${b.kind} needs clientId (and no from/to)`;
  }
  return null;
}

/** Validates the body. @returns the Intent, or a message for a 400 */
export function toIntent(b: z.infer<typeof transactionBody>): Intent | string {
  const accounts = accountsOf(b);
  if (accounts) return accounts;
  const amountMicro = amountOf(b);
  if (typeof amountMicro === "string") return amountMicro;
  if (amountMicro === 0n) return "amount must not be zero";
  if (amountMicro < 0n && b.kind !== "adjustment") return "only an adjustment may be negative";
  if (amountMicro > MAX_AMOUNT_MICRO || -amountMicro > MAX_AMOUNT_MICRO) return "amount is above 1000000000 NTMPI";
  return { kind: b.kind, clientId: b.clientId ?? null, from: b.from ?? null, to: b.to ?? null, amountMicro, reason: b.reason };
}

/**
 * sha256 hex of the normalised request (fixed field order), so `amount: "1"` and
 * `amountMicro: "1000000"` are the same request while any change of account, amount or reason is not.
 */
export function intentHash(i: Intent): string {
  const canonical = JSON.stringify([i.kind, i.clientId, i.from, i.to, i.amountMicro.toString(), i.reason]);
  return createHash("sha256").update(canonical, "utf8").digest("hex");
}
