/**
 * Single-writer election for the payment watcher: a Postgres session-level advisory lock held on a
 * dedicated connection (not a pooled one, which would hand the lock to whoever gets the connection
 * next). When the holder dies — process killed, backend terminated, network cut — Postgres ends its
 * session and releases the lock, and a standby's next attempt (every GATEWAY_WATCHER_LEASE_POLL_MS)
 * takes it. The watcher writes through this same session, so a holder that lost its session cannot
 * write any more (fencing). Correctness does not depend on the lock: every write is idempotent (unique
 * tx hash, spent_txs claims); the lock only keeps replicas from doing the work twice.
 */
import { createHash } from "node:crypto";
import pg from "pg";
import type { Logger } from "pino";

/** First half of the advisory lock key: "gw40" (0x67773430), so other users of advisory locks are not hit. */
const LOCK_CLASS = 0x67773430;

/**
 * Second half of the key: 31 bits of SHA-256 of the payment address (one watcher per network and
 * address). The primary network hashes the address alone, as before additional networks existed, so
 * replicas of both releases exclude each other during a rolling upgrade; others hash "<network>|<address>".
 */
export function lockKey(recipient: string, network?: string): [number, number] {
  const name = network === undefined ? recipient : `${network}|${recipient}`;
  return [LOCK_CLASS, createHash("sha256").update(name).digest().readUInt32BE(0) & 0x7fffffff];
}

export interface LeaseOptions {
  readonly databaseUrl: string;
  readonly recipient: string;
  /** CAIP-2 id of an additional network; undefined for the primary (see lockKey) */
  readonly network?: string;
  /** `application_name` of the session, so operators can find (and tests can terminate) it */
  readonly applicationName?: string;
  /** server-side statement timeout of the session, ms (default 10 000) */
  readonly statementTimeoutMs?: number;
  readonly log?: Logger;
}

/** The advisory lock and the session holding it. */
export class AdvisoryLease {
  private client: pg.Client | null = null;
  private held = false;
  private readonly key: [number, number];

  constructor(private readonly opts: LeaseOptions) {
    this.key = lockKey(opts.recipient, opts.network);
  }

  /** Whether this instance holds the lock on a live session (no I/O). */
  get holding(): boolean {
    return this.held && this.client !== null;
  }

  /**
   * The session holding the lock: the watcher writes through it.
   * @throws Error when the lock is not held
   */
  get session(): pg.Client {
    if (!this.holding) throw new Error("watcher lease not held");
    return this.client!;
  }

  private async connect(): Promise<pg.Client> {
    const c = new pg.Client({
      connectionString: this.opts.databaseUrl,
      application_name: this.opts.applicationName ?? "gate402-watcher",
      statement_timeout: this.opts.statementTimeoutMs ?? 10_000,
      connectionTimeoutMillis: 2000,
      // Notice a dead peer within seconds rather than the kernel's default two hours.
      keepAlive: true,
      keepAliveInitialDelayMillis: 5000,
    });
    const lost = (why: string) => () => {
      if (this.client !== c) return;
      if (this.held) this.opts.log?.warn({ why }, "watcher lost its lock session");
      this.client = null;
      this.held = false;
    };
    c.on("error", lost("error"));
    c.on("end", lost("end"));
    await c.connect();
    this.client = c;
    return c;
  }

  /**
   * Tries to take the lock once (non-blocking `pg_try_advisory_lock`).
   * @returns true when this instance holds it now
   * @throws on connection failure (the caller retries later)
   */
  async tryAcquire(): Promise<boolean> {
    if (this.holding) return true;
    const c = this.client ?? (await this.connect());
    const res = await c.query<{ ok: boolean }>("SELECT pg_try_advisory_lock($1::int, $2::int) AS ok", this.key);
    this.held = res.rows[0]?.ok === true;
    return this.held;
  }

  /** Gives the lock back and closes the session; never throws. */
  async release(): Promise<void> {
    const c = this.client;
    this.client = null;
    this.held = false;
    if (!c) return;
    await c.query("SELECT pg_advisory_unlock($1::int, $2::int)", this.key).catch(() => undefined);
    await c.end().catch(() => undefined);
  }

  /** Closes the session without unlocking, as a dying process does: Postgres frees the lock. */
  async abandon(): Promise<void> {
    const c = this.client;
    this.client = null;
    this.held = false;
    await c?.end().catch(() => undefined);
  }

  /** Backend pid of the session (for operators and tests); null without a session. */
  async backendPid(): Promise<number | null> {
    if (!this.client) return null;
    const res = await this.client.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
    return res.rows[0]?.pid ?? null;
  }
}
