/**
 * Memos that bind a facilitator payment to one payment request: `<issuedAtSec>.<nonce>` (URL-safe,
 * 33 characters), made by the server scheme for every 402 it answers. The facilitator reads the issue
 * time back to enforce `maxTimeoutSeconds`, and redeems each memo once (Postgres, unique).
 */
import { randomBytes } from "node:crypto";

const MEMO_RE = /^(\d{10})\.([A-Za-z0-9_-]{22})$/;

/** A fresh memo issued at `nowSec` (unix seconds). */
export function newPaymentMemo(nowSec = Math.floor(Date.now() / 1000)): string {
  return `${nowSec}.${randomBytes(16).toString("base64url")}`;
}

/** Issue time of a memo made by newPaymentMemo, unix seconds; undefined for any other memo. */
export function memoIssuedAt(memo: string): number | undefined {
  const m = MEMO_RE.exec(memo);
  return m ? Number(m[1]) : undefined;
}
