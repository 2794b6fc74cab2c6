/**
 * Management login throttling (migrations/0008: login_failures), kept in Postgres so every replica
 * counts into the same rows. Two keys per attempt: the operator name and the source address.
 *
 * Every attempt is counted BEFORE its password is checked, in one conditional upsert per key that does
 * nothing while the key is locked; a successful login then clears the count. So at most `max` passwords
 * are ever checked per key and window, even when an attacker sends them all at once: the attempt that
 * reaches `max` locks the key for `lockoutSeconds` and clears its count, and until the lockout ends logins
 * answer 429 with Retry-After without the password being checked (the right password included). Attempts
 * older than `windowSeconds` are forgotten. Times come from Postgres's clock, so replicas agree.
 */
import type pg from "pg";
import { query } from "../../store/pool.js";

export interface ThrottleKey {
  readonly key: string;
  /** attempts without a success, within the window, that lock the key */
  readonly max: number;
}

/**
 * - `locked`: a key is locked; nothing was counted for it; `wait` seconds remain
 * - `counted`: the attempt was counted on every key; `lockout` > 0 when it started a lockout of that many seconds
 */
export type Attempt = { readonly kind: "locked"; readonly wait: number } | { readonly kind: "counted"; readonly lockout: number };

export interface LoginThrottle {
  /** seconds until every key is unlocked (0: none is locked). @throws StoreUnavailableError */
  lockedFor(keys: readonly ThrottleKey[]): Promise<number>;
  /** counts one login attempt on every key, unless one is locked. @throws StoreUnavailableError */
  attempt(keys: readonly ThrottleKey[]): Promise<Attempt>;
  /** forgets the keys' attempts (after a successful login). @throws StoreUnavailableError */
  reset(keys: readonly ThrottleKey[]): Promise<void>;
}

/** attempts (per replica) between two prunes of forgotten rows */
const PRUNE_EVERY = 100;

export const operatorKey = (username: string, max: number): ThrottleKey => ({ key: `operator:${username}`, max });
export const addressKey = (address: string, max: number): ThrottleKey => ({ key: `address:${address}`, max });

export function createLoginThrottle(
  pool: pg.Pool,
  limits: { readonly lockoutSeconds: number; readonly windowSeconds: number },
): LoginThrottle {
  const lockedFor = async (keys: readonly ThrottleKey[]): Promise<number> => {
    const res = await query<{ wait: number | null }>(
      pool,
      "loginLockedFor",
      `SELECT ceil(extract(epoch FROM max(locked_until) - now()))::int AS wait
         FROM login_failures WHERE key = ANY($1::text[]) AND locked_until > now()`,
      [keys.map((k) => k.key)],
    );
    return Math.max(0, res.rows[0]?.wait ?? 0);
  };
  let attempts = 0;
  return {
    lockedFor,
    async attempt(keys) {
      // Housekeeping: rows of keys nobody tried for a window (sprayed usernames) are dropped now and then.
      if (++attempts % PRUNE_EVERY === 0) {
        query(
          pool,
          "loginPrune",
          `DELETE FROM login_failures WHERE last_failure_at < now() - make_interval(secs => $1)
          AND (locked_until IS NULL OR locked_until < now())`,
          [limits.windowSeconds],
        ).catch(() => {});
      }
      let lockout = 0;
      for (const k of keys) {
        // No row back = the key is locked (the WHERE refused the update): nothing counted, nothing extended.
        // Reaching max locks the key and clears its count, so after the lockout there are max attempts again.
        const count = "CASE WHEN f.last_failure_at < now() - make_interval(secs => $4) THEN 1 ELSE f.failures + 1 END";
        const res = await query<{ wait: number }>(
          pool,
          "loginAttempt",
          `INSERT INTO login_failures AS f (key, failures, last_failure_at, locked_until)
           VALUES ($1, CASE WHEN $2::int <= 1 THEN 0 ELSE 1 END, now(), CASE WHEN $2::int <= 1 THEN now() + make_interval(secs => $3) END)
           ON CONFLICT (key) DO UPDATE SET
             failures = CASE WHEN ${count} >= $2::int THEN 0 ELSE ${count} END,
             last_failure_at = now(),
             locked_until = CASE WHEN ${count} >= $2::int THEN now() + make_interval(secs => $3) END
           WHERE f.locked_until IS NULL OR f.locked_until <= now()
           RETURNING CASE WHEN locked_until > now() THEN ceil(extract(epoch FROM locked_until - now()))::int ELSE 0 END AS wait`,
          [k.key, k.max, limits.lockoutSeconds, limits.windowSeconds],
        );
        const row = res.rows[0];
        if (!row) return { kind: "locked", wait: Math.max(1, await lockedFor([k])) };
        lockout = Math.max(lockout, row.wait);
      }
      return { kind: "counted", lockout };
    },
    async reset(keys) {
      await query(pool, "loginReset", "DELETE FROM login_failures WHERE key = ANY($1::text[])", [keys.map((k) => k.key)]);
    },
  };
}
