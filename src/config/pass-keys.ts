import { createHmac } from "node:crypto";
import type { PassKey, PassKeyring } from "../core/passes/tokens.js";

/**
 * GATEWAY_PASS_KEYS: `kid:secret,kid:secret,…` — the first key signs new passes, every listed key
 * verifies (rotate by putting a new key first and keeping the old one until its passes expired).
 * Secrets are ≥ 32 characters. Unset: one key derived from GATEWAY_INVOICE_SECRET (kid "inv1"), so
 * replicas that share the invoice secret accept each other's passes with no extra setting.
 */
const KID_RE = /^[A-Za-z0-9_.-]{1,32}$/;
const MIN_SECRET = 32;

/** Parses GATEWAY_PASS_KEYS; problems are pushed (never the secret values). */
export function parsePassKeys(raw: string | undefined, invoiceSecret: string, problems: string[]): PassKeyring {
  if (raw === undefined || raw.trim() === "") {
    const derived: PassKey = { kid: "inv1", secret: createHmac("sha256", invoiceSecret).update("gate402/pass-key/v1").digest() };
    return { signing: derived, verifying: [derived] };
  }
  const keys: PassKey[] = [];
  raw
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .forEach((entry, i) => {
      const colon = entry.indexOf(":");
      const kid = colon > 0 ? entry.slice(0, colon) : "";
      const secret = colon > 0 ? entry.slice(colon + 1) : "";
      if (!KID_RE.test(kid))
        return void problems.push(`GATEWAY_PASS_KEYS entry ${i + 1}: expected kid:secret with a kid of 1-32 characters [A-Za-z0-9_.-]`);
      if (secret.length < MIN_SECRET)
        return void problems.push(`GATEWAY_PASS_KEYS key "${kid}": secret must be at least ${MIN_SECRET} characters`);
      if (keys.some((k) => k.kid === kid)) return void problems.push(`GATEWAY_PASS_KEYS: key id "${kid}" listed twice`);
      keys.push({ kid, secret: new TextEncoder().encode(secret) });
    });
  if (keys.length === 0) {
    problems.push("GATEWAY_PASS_KEYS: no key");
    return { signing: { kid: "none", secret: new Uint8Array(32) }, verifying: [] };
  }
  return { signing: keys[0]!, verifying: keys };
}
