/**
 * Paid offers the SDK reuses: bundle proofs (per origin and method, until their uses run out) and
 * passes (per origin and scope, until they expire). In memory, per createPaidFetch instance, and
 * recovered from the receipts (state.ts) after a restart: a bundle with uses left is held again, and a
 * pass is asked for again by presenting its paid invoice (the server returns the same pass while valid).
 * Which route a bundle or scope a pass covers is the server's business: a held offer is tried, and a
 * WRONG_RESOURCE answer marks that path as not covered by it.
 */
import { z } from "zod";
import { decodeBase64Json } from "./invoice.js";
import type { Receipt } from "./state.js";

/** A held bundle or pass. */
export interface HeldOffer {
  readonly kind: "bundle" | "pass";
  /** tx hash of the payment (links to its receipt) */
  readonly txHash: string;
  readonly origin: string;
  /** bundle: the HTTP method it is bound to */
  readonly method?: string;
  /** pass: its scope */
  readonly scope?: string;
  /** bundle: X-Payment-Proof value; pass: the token (or, while `pending`, its invoice proof) */
  credential: string;
  /** pass recovered from a receipt: the token is asked for by presenting the paid invoice */
  pending?: boolean;
  /** bundle: requests left (from X-Payment-Uses-Left) */
  usesLeft: number;
  /** pass: expiry, unix ms */
  expiresAtMs: number;
  /** paths the server said this offer does not cover */
  readonly notFor: Set<string>;
  /** recent paths it covered: the held offer with the longest common prefix is tried first */
  readonly servedPaths: string[];
}

/** Server answers after which a held offer is worthless. */
const SPENT = new Set(["PROOF_ALREADY_USED", "PASS_EXPIRED", "PASS_REVOKED", "INVALID_PROOF", "INVOICE_EXPIRED"]);
const MAX_NOT_FOR = 256;
const MAX_SERVED = 8;

function commonPrefix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

const settlement = z.object({ pass: z.string().max(4096).optional(), usesLeft: z.number().int().nonnegative().optional() });

/**
 * What an allow says about a bundle or pass: `X-Payment-Uses-Left` / `X-Payment-Pass`, or the same
 * facts in `PAYMENT-RESPONSE` (`usesLeft`, `pass`) for proxies that only forward that header (Caddy).
 */
export function offerFacts(res: Response): { usesLeft?: number; token?: string } {
  const left = res.headers.get("x-payment-uses-left");
  const token = res.headers.get("x-payment-pass");
  let fromReceipt: z.infer<typeof settlement> = {};
  const raw = res.headers.get("payment-response");
  if (raw !== null && raw.length <= 8192) {
    try {
      const r = settlement.safeParse(decodeBase64Json(raw));
      if (r.success) fromReceipt = r.data;
    } catch {
      // not ours to judge: the receipt header is informational here
    }
  }
  return {
    ...(left !== null && /^\d{1,7}$/.test(left)
      ? { usesLeft: Number(left) }
      : fromReceipt.usesLeft !== undefined
        ? { usesLeft: fromReceipt.usesLeft }
        : {}),
    ...(token !== null && token.length <= 4096 ? { token } : fromReceipt.pass !== undefined ? { token: fromReceipt.pass } : {}),
  };
}

/** Reads the `exp` claim of a pass token without verifying it (the server verifies). @returns unix ms, or 0 */
export function passExpiryMs(token: string): number {
  try {
    const payload = token.split(".")[1] ?? "";
    const json = JSON.parse(
      new TextDecoder().decode(Uint8Array.from(atob(payload.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0))),
    ) as { exp?: unknown };
    return typeof json.exp === "number" ? json.exp * 1000 : 0;
  } catch {
    return 0;
  }
}

/** Receipts older than the longest pass lifetime (one year) cannot hold anything alive. */
const MAX_PASS_MS = 31_536_000_000;
const MAX_RECOVERED = 4;

export class OfferWallet {
  private held: HeldOffer[] = [];
  private readonly recovered = new Set<string>();

  constructor(private readonly now: () => number) {}

  /**
   * The offer to try for this request: a live pass of the origin first, then a bundle with uses left
   * for the method; among several, the one that served the most similar path.
   */
  pick(url: string, method: string): HeldOffer | undefined {
    const u = new URL(url);
    const now = this.now();
    this.held = this.held.filter((h) => (h.kind === "pass" ? h.expiresAtMs > now : h.usesLeft > 0));
    const fits = (h: HeldOffer) => h.origin === u.origin && !h.notFor.has(u.pathname) && (h.kind === "pass" || h.method === method);
    const score = (h: HeldOffer) =>
      (h.kind === "pass" ? 1_000_000 : 0) + Math.max(0, ...h.servedPaths.map((p) => commonPrefix(p, u.pathname)));
    let best: HeldOffer | undefined;
    for (const h of this.held) if (fits(h) && (best === undefined || score(h) > score(best))) best = h;
    return best;
  }

  /** Request headers that present `h`. */
  headersFor(h: HeldOffer): Record<string, string> {
    return h.kind === "pass" && !h.pending ? { "x-payment-pass": h.credential } : { "x-payment-proof": h.credential };
  }

  /** True the first time an origin is seen: the caller then hands its receipts to recover(). */
  needsRecovery(url: string): boolean {
    return !this.recovered.has(new URL(url).origin);
  }

  /** Holds again the bundles with uses left and the passes that the receipts of `url`'s origin record. */
  recover(url: string, receipts: readonly Receipt[]): void {
    const origin = new URL(url).origin;
    this.recovered.add(origin);
    const now = this.now();
    const mine = receipts.filter(
      (r) =>
        r.status === "redeemed" &&
        r.invoiceId !== undefined &&
        (r.offer === "bundle" || r.offer === "pass") &&
        Date.parse(r.paidAt) > now - MAX_PASS_MS &&
        URL.canParse(r.url) &&
        new URL(r.url).origin === origin &&
        !this.held.some((h) => h.txHash === r.txHash),
    );
    for (const r of mine.slice(-MAX_RECOVERED).reverse()) {
      const proof = `${r.invoiceId}:${r.txHash}`;
      const path = new URL(r.url).pathname;
      if (r.offer === "bundle") this.addBundle(origin, path, r.method, r.txHash, proof, (r.uses ?? 1) - (r.used ?? 0));
      else
        this.held.push({
          kind: "pass",
          pending: true,
          txHash: r.txHash,
          origin,
          scope: r.scope,
          credential: proof,
          usesLeft: 0,
          expiresAtMs: Infinity,
          notFor: new Set(),
          servedPaths: [path],
        });
    }
  }

  /** Learns from the server's answer to a request that presented `h`. */
  observe(h: HeldOffer, url: string, res: Response, errorCode: string | undefined): void {
    if (res.status === 402) {
      if (errorCode === "WRONG_RESOURCE") {
        if (h.notFor.size < MAX_NOT_FOR) h.notFor.add(new URL(url).pathname);
      } else if (errorCode === undefined || SPENT.has(errorCode)) {
        this.drop(h);
      }
      return;
    }
    const facts = offerFacts(res);
    if (h.pending) {
      const exp = facts.token !== undefined ? passExpiryMs(facts.token) : 0;
      if (exp <= this.now()) return void this.drop(h);
      Object.assign(h, { pending: false, credential: facts.token, expiresAtMs: exp });
    }
    h.servedPaths.unshift(new URL(url).pathname);
    h.servedPaths.length = Math.min(h.servedPaths.length, MAX_SERVED);
    if (h.kind === "bundle" && facts.usesLeft !== undefined) h.usesLeft = facts.usesLeft;
  }

  /** Holds a bundle just paid and used once. */
  addBundle(origin: string, path: string, method: string, txHash: string, proof: string, usesLeft: number): void {
    if (usesLeft > 0)
      this.held.push({
        kind: "bundle",
        txHash,
        origin,
        method,
        credential: proof,
        usesLeft,
        expiresAtMs: Infinity,
        notFor: new Set(),
        servedPaths: [path],
      });
  }

  /** Holds a pass token returned by the server. */
  addPass(origin: string, path: string, scope: string | undefined, txHash: string, token: string): void {
    const expiresAtMs = passExpiryMs(token);
    if (expiresAtMs > this.now())
      this.held.push({
        kind: "pass",
        txHash,
        origin,
        scope,
        credential: token,
        usesLeft: 0,
        expiresAtMs,
        notFor: new Set(),
        servedPaths: [path],
      });
  }

  private drop(h: HeldOffer): void {
    this.held = this.held.filter((x) => x !== h);
  }
}
