import { createHash, createHmac, timingSafeEqual } from "node:crypto";

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
 *
 * Version 1 is the primary asset (GATEWAY_DENOM on the primary network): ids issued before several
 * assets existed verify exactly as before. Version 2 is any other accepted asset (docs/design.md
 * "Assets"): payload = [2, assetTag, amountMicro, method, routeId, expiresAtSec, issueHeight, nonce,
 * uses(, passSeconds)], where assetTag = base64url(sha256("<chain-id>|<denom>"))[0..6] picks the asset
 * and the MAC domain "gate402/invoice/v2|<chain-id>|<payTo>|<denom>|" binds it in full.
 */
/** What an invoice binds (besides payTo, denom and chain, which the MAC covers). */
export interface InvoiceFields {
  /** the asset to pay in; default the primary asset (version 1 id) */
  readonly asset?: { readonly network: string; readonly denom: string };
  /** price in the asset's smallest unit (bigint; uneutaro for the primary) */
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

/** An issued invoice: its fields, its asset and its id (the HMAC token, also the payment memo). */
export interface Invoice extends Omit<InvoiceFields, "asset"> {
  readonly id: string;
  /** CAIP-2 network the invoice is paid on */
  readonly network: string;
  /** the denom that pays it (only transfers in it count) */
  readonly denom: string;
  /** the address that must receive the payment */
  readonly payTo: string;
}

/** An asset an invoice codec issues for: where it is paid and in what. */
export interface InvoiceAsset {
  readonly chainId: string;
  readonly payTo: string;
  readonly denom: string;
}

const VERSION = 1;
const VERSION_ASSET = 2;
const MAC_BYTES = 16;
const MAX_ID_LENGTH = 255;

interface Bound {
  readonly domain: string;
  readonly network: string;
  readonly payTo: string;
  readonly denom: string;
  /** v2 only */
  readonly tag?: string;
}

/** The short tag a version-2 invoice names its asset by (collisions among configured assets are refused). */
export function assetTag(chainId: string, denom: string): string {
  return createHash("sha256").update(`${chainId}|${denom}`).digest().subarray(0, 6).toString("base64url").slice(0, 6);
}

/**
 * Invoice codec bound to one secret, the primary payment destination (version 1 ids) and any other
 * accepted assets (version 2 ids).
 */
export class InvoiceCodec {
  private readonly primary: Bound;
  private readonly byTag = new Map<string, Bound>();

  /**
   * @param secret GATEWAY_INVOICE_SECRET
   * @param payTo bech32 payment address; @param denom e.g. "uneutaro"; @param chainId e.g. "Neutaro-1"
   * @param others the other accepted assets (GatewayConfig.assets without the primary)
   * @throws Error when two assets share a tag (vanishingly rare; rename nothing, report it)
   */
  constructor(
    private readonly secret: string,
    payTo: string,
    denom: string,
    chainId: string,
    others: readonly InvoiceAsset[] = [],
  ) {
    this.primary = { domain: `gate402/invoice/v${VERSION}|${chainId}|${payTo}|${denom}|`, network: `cosmos:${chainId}`, payTo, denom };
    for (const a of others) {
      const tag = assetTag(a.chainId, a.denom);
      if (this.byTag.has(tag)) throw new Error(`assets ${a.denom} on ${a.chainId} and another share invoice tag ${tag}`);
      const domain = `gate402/invoice/v${VERSION_ASSET}|${a.chainId}|${a.payTo}|${a.denom}|`;
      this.byTag.set(tag, { domain, network: `cosmos:${a.chainId}`, payTo: a.payTo, denom: a.denom, tag });
    }
  }

  private mac(b: Bound, payload: string): string {
    return createHmac("sha256", this.secret).update(b.domain).update(payload).digest().subarray(0, MAC_BYTES).toString("base64url");
  }

  private boundFor(asset: InvoiceFields["asset"]): Bound {
    if (!asset || (asset.network === this.primary.network && asset.denom === this.primary.denom)) return this.primary;
    for (const b of this.byTag.values()) if (b.network === asset.network && b.denom === asset.denom) return b;
    throw new RangeError(`no accepted asset ${asset.denom} on ${asset.network}`);
  }

  /** Encodes and signs an invoice. Pure: no I/O. @throws RangeError for an asset not accepted or an id over 255 bytes */
  issue(f: InvoiceFields): Invoice {
    const b = this.boundFor(f.asset);
    const head = b.tag === undefined ? [VERSION] : [VERSION_ASSET, b.tag];
    const rest = [f.amountMicro.toString(), f.method, f.routeId, f.expiresAt, f.issueHeight, f.nonce, f.uses];
    const payload = Buffer.from(JSON.stringify([...head, ...rest, ...(f.passSeconds !== undefined ? [f.passSeconds] : [])])).toString(
      "base64url",
    );
    const id = `${payload}.${this.mac(b, payload)}`;
    if (id.length > MAX_ID_LENGTH)
      throw new RangeError(`invoice id would be ${id.length} bytes, over the ${MAX_ID_LENGTH}-byte memo budget (route id too long?)`);
    const { asset: _asset, ...fields } = f;
    return { ...fields, id, network: b.network, denom: b.denom, payTo: b.payTo };
  }

  /**
   * Decodes an invoice id and checks its MAC (constant time).
   * @returns the invoice with its asset, or null when the id is malformed, tampered, or signed for an
   *   asset, payTo or chain this codec does not accept
   */
  verify(id: string): Invoice | null {
    if (id.length > MAX_ID_LENGTH) return null;
    const dot = id.indexOf(".");
    if (dot <= 0 || dot !== id.lastIndexOf(".")) return null;
    const payload = id.slice(0, dot);
    const arr = parseArray(payload);
    if (!arr) return null;
    const b =
      arr[0] === VERSION ? this.primary : arr[0] === VERSION_ASSET && typeof arr[1] === "string" ? this.byTag.get(arr[1]) : undefined;
    if (!b) return null;
    // Compare the MAC text itself: base64url decoding is lenient (spare bits, padding), so decoded
    // bytes would let several ids alias one invoice.
    const given = Buffer.from(id.slice(dot + 1));
    const expected = Buffer.from(this.mac(b, payload));
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    const fields = decodeFields(id, b.tag === undefined ? arr.slice(1) : arr.slice(2));
    return fields && { ...fields, network: b.network, denom: b.denom, payTo: b.payTo };
  }
}

function parseArray(payload: string): unknown[] | null {
  try {
    const arr: unknown = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
    return Array.isArray(arr) ? arr : null;
  } catch {
    return null;
  }
}

/** The fields after the version (and tag): [amount, method, routeId, expiresAt, issueHeight, nonce, uses(, passSeconds)]. */
function decodeFields(id: string, arr: unknown[]): Omit<Invoice, "network" | "denom" | "payTo"> | null {
  if (arr.length !== 7 && arr.length !== 8) return null;
  const [amount, method, routeId, expiresAt, issueHeight, nonce, uses, passSeconds] = arr;
  if (passSeconds !== undefined && (!Number.isSafeInteger(passSeconds) || (passSeconds as number) <= 0)) return null;
  if (typeof amount !== "string" || !/^\d{1,30}$/.test(amount)) return null;
  if (typeof method !== "string" || typeof routeId !== "string" || typeof nonce !== "string") return null;
  if (!Number.isSafeInteger(expiresAt) || !Number.isSafeInteger(issueHeight) || !Number.isSafeInteger(uses)) return null;
  return {
    id,
    amountMicro: BigInt(amount),
    method,
    routeId,
    nonce,
    expiresAt: expiresAt as number,
    issueHeight: issueHeight as number,
    uses: uses as number,
    ...(passSeconds !== undefined && { passSeconds: passSeconds as number }),
  };
}
