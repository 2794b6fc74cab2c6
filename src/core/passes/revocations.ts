/**
 * Revoked passes, checked in memory on every pass use (no I/O on the Check path). The store keeps the
 * list and every replica follows it (src/store/pass-revocations.ts: Postgres LISTEN/NOTIFY).
 */
export interface RevocationList {
  /** @param jti the pass's invoice id */
  isRevoked(jti: string): boolean;
}

/** An in-memory list the follower fills. */
export class RevokedPasses implements RevocationList {
  private readonly set = new Set<string>();
  isRevoked(jti: string): boolean {
    return this.set.has(jti);
  }
  add(jti: string): void {
    this.set.add(jti);
  }
  /** Replaces the whole list (after a (re)connect, when notifications may have been missed). */
  replace(jtis: Iterable<string>): void {
    this.set.clear();
    for (const j of jtis) this.set.add(j);
  }
  get size(): number {
    return this.set.size;
  }
}
