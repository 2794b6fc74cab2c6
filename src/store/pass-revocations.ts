/**
 * Pass revocations in Postgres, followed by every replica: `revokePass` inserts the jti and sends
 * NOTIFY gate402_pass_revoked in one transaction; `followRevocations` keeps one connection LISTENing,
 * loads the whole (unexpired) list at start and after every reconnect, and fills the in-memory list
 * the Check path reads. A revocation reaches every connected replica in milliseconds; a replica that
 * lost its connection reloads within `reconnectMs` of the database coming back.
 */
import pg from "pg";
import type { Logger } from "pino";
import type { RevokedPasses } from "../core/passes/revocations.js";
import { query, transaction } from "./pool.js";

export const REVOCATION_CHANNEL = "gate402_pass_revoked";

export interface RevokeInput {
  /** the pass token's jti (its invoice id) */
  readonly jti: string;
  /** latest possible expiry of the pass */
  readonly expiresAt: Date;
  readonly reason?: string;
  readonly revokedBy?: string;
}

/**
 * Revokes a pass (idempotent). @returns true when newly revoked, false when it already was
 * @throws StoreUnavailableError
 */
export async function revokePass(pool: pg.Pool, r: RevokeInput): Promise<boolean> {
  return transaction(pool, "revokePass", async (c) => {
    const res = await query(
      c,
      "revokePass",
      `INSERT INTO revoked_passes (jti, reason, revoked_by, expires_at) VALUES ($1, $2, $3, $4) ON CONFLICT (jti) DO NOTHING`,
      [r.jti, r.reason ?? null, r.revokedBy ?? null, r.expiresAt],
    );
    // Delivered at commit; sent again for a repeat so a replica that missed it catches up.
    await query(c, "revokePass", "SELECT pg_notify($1, $2)", [REVOCATION_CHANNEL, r.jti]);
    return { commit: true, value: res.rowCount === 1 };
  });
}

export interface RevocationFollower {
  /** resolves once the first load finished (or failed: the follower keeps retrying) */
  readonly ready: Promise<void>;
  stop(): Promise<void>;
}

/** Follows revoked_passes into `list` over one dedicated LISTEN connection, reconnecting on loss. */
export function followRevocations(opts: {
  databaseUrl: string;
  list: RevokedPasses;
  log: Logger;
  reconnectMs?: number;
}): RevocationFollower {
  const reconnectMs = opts.reconnectMs ?? 1000;
  let client: pg.Client | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let markReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => (markReady = resolve));

  const retry = () => {
    if (stopped || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      void connect();
    }, reconnectMs);
  };

  async function connect(): Promise<void> {
    const c = new pg.Client({ connectionString: opts.databaseUrl, application_name: "gate402-revocations", connectionTimeoutMillis: 5000 });
    client = c;
    c.on("error", (err) => {
      opts.log.warn({ err }, "pass revocation listener lost its connection");
      void c.end().catch(() => undefined);
      if (client === c) retry();
    });
    c.on("end", () => {
      if (client === c) retry();
    });
    c.on("notification", (n) => {
      if (n.channel === REVOCATION_CHANNEL && n.payload) opts.list.add(n.payload);
    });
    try {
      await c.connect();
      // LISTEN first, then load: a revocation committed in between is in the load or in a notification.
      await c.query(`LISTEN ${REVOCATION_CHANNEL}`);
      const res = await c.query<{ jti: string }>("SELECT jti FROM revoked_passes WHERE expires_at > now()");
      opts.list.replace(res.rows.map((r) => r.jti));
      markReady();
    } catch (err) {
      opts.log.warn({ err }, "pass revocation listener could not connect; retrying");
      markReady();
      await c.end().catch(() => undefined);
      if (client === c) retry();
    }
  }

  void connect();
  return {
    ready,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await client?.end().catch(() => undefined);
    },
  };
}
