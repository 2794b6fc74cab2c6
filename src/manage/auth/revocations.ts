/**
 * Revoked management tokens (migrations/0008: token_revocations), shared by every replica through
 * Postgres and checked in memory on each request. Each replica re-reads the whole live list every
 * GATEWAY_REVOCATION_POLL_MS (it only holds revocations younger than a token's 15-minute lifetime, so it
 * stays small), and the replica that revokes applies the revocation at once. A revocation is therefore
 * honoured everywhere within one poll interval (plus the read's duration).
 * When Postgres cannot be read the last list stays in force (and the failure is logged).
 */
import type pg from "pg";
import type { Logger } from "pino";
import { query } from "../../store/pool.js";
import { TOKEN_TTL_SECONDS, type RevocationClaims } from "./tokens.js";

export type RevocationReason = "logout" | "revoked" | "disabled" | "deleted";

export interface RevocationList {
  /** true when the token's id, or its operator up to its issue time, is revoked */
  isRevoked(claims: RevocationClaims): boolean;
  /** revokes one token until `expiresAt` (unix seconds). @throws StoreUnavailableError */
  revokeToken(jti: string, expiresAt: number, by: string, reason: RevocationReason): Promise<void>;
  /** revokes every token of `subject` issued until now. @throws StoreUnavailableError */
  revokeSubject(subject: string, by: string, reason: RevocationReason): Promise<void>;
  /** re-reads the list now. @throws StoreUnavailableError */
  refresh(): Promise<void>;
  stop(): void;
}

interface Row {
  jti: string | null;
  subject: string | null;
  revoked_at: string;
}
/** a token's lifetime plus the verifier's clock tolerance: after that no token a row matches can still be valid */
const KEEP_SECONDS = TOKEN_TTL_SECONDS + 60;

/** Loads the list now, then every `pollMs`. @throws StoreUnavailableError when the first read fails */
export async function createRevocationList(pool: pg.Pool, pollMs: number, log: Logger): Promise<RevocationList> {
  let tokens = new Set<string>();
  /** subject → latest revocation time, unix seconds */
  let subjects = new Map<string, number>();
  let failing = false;
  /** revoked here since the last completed read: kept even if that read's snapshot began before the insert */
  const pendingTokens = new Set<string>();
  const pendingSubjects = new Set<string>();

  async function refresh(): Promise<void> {
    const res = await query<Row>(
      pool,
      "readRevocations",
      `SELECT jti, subject, extract(epoch FROM revoked_at)::float8::text AS revoked_at FROM token_revocations WHERE expires_at > now()`,
    );
    const t = new Set<string>();
    const s = new Map<string, number>();
    for (const r of res.rows) {
      if (r.jti !== null) t.add(r.jti);
      if (r.subject !== null) s.set(r.subject, Math.max(s.get(r.subject) ?? 0, Number(r.revoked_at)));
    }
    // Keep what this replica revoked itself but has not read back yet (a read that began before the insert).
    for (const jti of tokens) if (pendingTokens.has(jti)) t.add(jti);
    for (const [sub, at] of subjects) if (pendingSubjects.has(sub)) s.set(sub, Math.max(s.get(sub) ?? 0, at));
    pendingTokens.clear();
    pendingSubjects.clear();
    tokens = t;
    subjects = s;
  }

  await refresh();
  let prunedAt = 0;
  const timer = setInterval(() => {
    refresh().then(
      () => {
        if (failing) log.info("revocation list readable again");
        failing = false;
        if (Date.now() - prunedAt > 60_000) {
          prunedAt = Date.now();
          // Housekeeping only: a failed prune is retried a minute later.
          query(pool, "pruneRevocations", "DELETE FROM token_revocations WHERE expires_at < now() - interval '1 hour'").catch(() => {});
        }
      },
      (err: unknown) => {
        if (!failing) log.warn({ err }, "cannot read token revocations; the last list stays in force");
        failing = true;
      },
    );
  }, pollMs);
  timer.unref();

  return {
    isRevoked(c) {
      if (c.jti !== undefined && tokens.has(c.jti)) return true;
      const at = subjects.get(c.sub);
      return at !== undefined && c.iat <= at;
    },
    async revokeToken(jti, expiresAt, by, reason) {
      await query(
        pool,
        "revokeToken",
        `INSERT INTO token_revocations (jti, expires_at, revoked_by, reason) VALUES ($1, to_timestamp($2) + interval '60 seconds', $3, $4)
         ON CONFLICT (jti) DO NOTHING`,
        [jti, expiresAt, by, reason],
      );
      tokens.add(jti);
      pendingTokens.add(jti);
    },
    async revokeSubject(subject, by, reason) {
      const res = await query<{ revoked_at: string }>(
        pool,
        "revokeSubject",
        `INSERT INTO token_revocations (subject, expires_at, revoked_by, reason) VALUES ($1, now() + make_interval(secs => $2), $3, $4)
         RETURNING extract(epoch FROM revoked_at)::float8::text AS revoked_at`,
        [subject, KEEP_SECONDS, by, reason],
      );
      subjects.set(subject, Math.max(subjects.get(subject) ?? 0, Number(res.rows[0]!.revoked_at)));
      pendingSubjects.add(subject);
    },
    refresh,
    stop: () => clearInterval(timer),
  };
}
