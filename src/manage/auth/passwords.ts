/**
 * Operator passwords: scrypt (node:crypto) with a random 16-byte salt per user, stored as a PHC-style
 * string `$scrypt$ln=<log2 N>,r=<r>,p=<p>$<salt b64url>$<hash b64url>` so the cost can be raised later
 * without breaking existing hashes (each is verified with the parameters it was made with).
 */
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from "node:crypto";

/** Cost of new hashes: N = 2^15, r = 8, p = 1 (32 MiB, ~50-100 ms), 32-byte key. */
export const SCRYPT_DEFAULTS = { ln: 15, r: 8, p: 1 } as const;
const KEY_LEN = 32;
const PHC_RE = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9_-]{16,64})\$([A-Za-z0-9_-]{16,128})$/;

function scrypt(password: string, salt: Buffer, keyLen: number, o: { ln: number; r: number; p: number }): Promise<Buffer> {
  const N = 2 ** o.ln;
  // Node refuses scrypt above maxmem (default 32 MiB); give it the 128·N·r the parameters need, plus slack.
  const options: ScryptOptions = { N, r: o.r, p: o.p, maxmem: 256 * N * o.r };
  return new Promise((resolve, reject) =>
    scryptCb(password.normalize("NFC"), salt, keyLen, options, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/** Hashes a password with a fresh salt. @returns the PHC string to store */
export async function hashPassword(password: string, cost: { ln: number; r: number; p: number } = SCRYPT_DEFAULTS): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, KEY_LEN, cost);
  return `$scrypt$ln=${cost.ln},r=${cost.r},p=${cost.p}$${salt.toString("base64url")}$${key.toString("base64url")}`;
}

/**
 * Checks `password` against a stored PHC string in constant time. A malformed or unsupported stored
 * string verifies as false (never throws for bad input).
 */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const m = PHC_RE.exec(stored);
  if (!m) return false;
  const [ln, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (ln < 10 || ln > 20 || r < 1 || p < 1) return false;
  const expected = Buffer.from(m[5]!, "base64url");
  const key = await scrypt(password, Buffer.from(m[4]!, "base64url"), expected.length, { ln, r, p });
  return timingSafeEqual(key, expected);
}

/** A valid hash of a random password: verified against when a username is unknown, so timing is the same. */
let decoy: Promise<string> | undefined;
export function decoyHash(): Promise<string> {
  decoy ??= hashPassword(randomBytes(24).toString("base64url"));
  return decoy;
}
