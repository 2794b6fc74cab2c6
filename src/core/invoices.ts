import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * Stateless invoices (docs/design.md "Invoices"). An invoice id is an HMAC-authenticated token binding
 * payTo, denom, amount, method, route id, expiry, issue height, uses and a random nonce; issuing one
 * writes nothing. The id is also the payment memo, so it is URL-safe (base64url and ".") and stays
 * well under the 256-byte memo limit (≤ ~240 bytes with a 64-character route id).
 *
 * Layout: "<base64url(JSON array payload)>.<base64url(HMAC-SHA256(secret, domain ‖ payload)[0..16])>"
 * payload = [version, amountMicro, method, routeId, expiresAtSec, issueHeight, nonce, uses(, passSeconds)]
 * A pass invoice (src/core/passes/) carries a 9th element, the pass lifetime; its routeId is the scope.
 * payTo, denom and chain id are bound by the MAC (domain) but not carried.
 */
/** What an invoice binds (besides payTo, denom and chain, which the MAC covers). */
export interface InvoiceFields {
  /** price in uneutaro (bigint) */
  readonly amountMicro: bigint;
  /** uppercase HTTP method */
  readonly method: string;
  readonly routeId: string;
  /** expiry, unix seconds */
  readonly expiresAt: number;
  /** chain height when issued; invoice-only proofs search from here */
  readonly issueHeight: number;
  readonly nonce: string;
  /** requests this payment buys */
  readonly uses: number;
  /** pass invoices only: seconds of unlimited use of the scope named by routeId */
  readonly passSeconds?: number;
}

/** An issued invoice: its fields and its id (the HMAC token, also the payment memo). */
export interface Invoice extends InvoiceFields {
  readonly id: string;
}

const VERSION = 1;
const MAC_BYTES = 16;
const MAX_ID_LENGTH = 255;

/** Invoice codec bound to one secret and one payment destination. */
export class InvoiceCodec {
  private readonly domain: string;

  /**
   * @param secret GATEWAY_INVOICE_SECRET
   * @param payTo bech32 payment address; @param denom e.g. "uneutaro"; @param chainId e.g. "Neutaro-1"
   */
  constructor(private readonly secret: string, payTo: string, denom: string, chainId: string) {
    this.domain = `gate402/invoice/v${VERSION}|${chainId}|${payTo}|${denom}|`;
  }

  private mac(payload: string): string {
    return createHmac("sha256", this.secret).update(this.domain).update(payload).digest().subarray(0, MAC_BYTES).toString("base64url");
  }

  /** Encodes and signs an invoice. Pure: no I/O. */
  issue(f: InvoiceFields): Invoice {
    const payload = Buffer.from(
      JSON.stringify([VERSION, f.amountMicro.toString(), f.method, f.routeId, f.expiresAt, f.issueHeight, f.nonce, f.uses, ...(f.passSeconds !== undefined ? [f.passSeconds] : [])]),
    ).toString("base64url");
    const id = `${payload}.${this.mac(payload)}`;
    if (id.length > MAX_ID_LENGTH) throw new RangeError(`invoice id would be ${id.length} bytes, over the ${MAX_ID_LENGTH}-byte memo budget (route id too long?)`);
    return { ...f, id };
  }

  /**
   * Decodes an invoice id and checks its MAC (constant time).
   * @returns the invoice, or null when the id is malformed, tampered or signed for another payTo/denom/chain
   */
  verify(id: string): Invoice | null {
    if (id.length > MAX_ID_LENGTH) return null;
    const dot = id.indexOf(".");
    if (dot <= 0 || dot !== id.lastIndexOf(".")) return null;
    const payload = id.slice(0, dot);
    // Compare the MAC text itself: base64url decoding is lenient (spare bits, padding), so decoded
    // bytes would let several ids alias one invoice.
    const given = Buffer.from(id.slice(dot + 1));
    const expected = Buffer.from(this.mac(payload));
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    return decodePayload(id, payload);
  }
}

function decodePayload(id: string, payload: string): Invoice | null {
  let arr: unknown;
  try {
    arr = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
  } catch {
    return null;
  }
  if (!Array.isArray(arr) || (arr.length !== 8 && arr.length !== 9) || arr[0] !== VERSION) return null;
  const [, amount, method, routeId, expiresAt, issueHeight, nonce, uses, passSeconds] = arr as unknown[];
  if (passSeconds !== undefined && (!Number.isSafeInteger(passSeconds) || (passSeconds as number) <= 0)) return null;
  if (typeof amount !== "string" || !/^\d{1,30}$/.test(amount)) return null;
  if (typeof method !== "string" || typeof routeId !== "string" || typeof nonce !== "string") return null;
  if (!Number.isSafeInteger(expiresAt) || !Number.isSafeInteger(issueHeight) || !Number.isSafeInteger(uses)) return null;
  return {
    id, amountMicro: BigInt(amount), method, routeId, nonce,
    expiresAt: expiresAt as number, issueHeight: issueHeight as number, uses: uses as number,
    ...(passSeconds !== undefined && { passSeconds: passSeconds as number }),
  };
}
