/**
 * The per-account ledger hash chain, in JS. Byte-for-byte the same as the SQL functions
 * `ledger_entry_hash` and `ledger_genesis_hash` (migrations/0001_prepaid-ledger.sql): the database
 * computes the hash when it writes an entry (one round trip per debit), the verifier recomputes it here.
 */
import { createHash } from "node:crypto";

/** The hashed fields of one ledger entry, as stored. */
export interface LedgerHashFields {
  readonly clientId: string;
  /** 1-based position in the account's chain */
  readonly seq: bigint;
  readonly kind: string;
  /** uneutaro, signed: + credits, − debits */
  readonly amountMicro: bigint;
  /** uneutaro, balance after this entry */
  readonly balanceAfterMicro: bigint;
  readonly ref: string | null;
  readonly routeId: string | null;
  readonly method: string | null;
  readonly txHash: string | null;
  /** stored with millisecond precision, so a JS Date represents it exactly */
  readonly createdAt: Date;
}

// NULL is "-", text is "<utf8 byte length>:<text>": unambiguous whatever characters a field holds.
function field(v: string | null): string {
  return v === null ? "-" : `${Buffer.byteLength(v, "utf8")}:${v}`;
}

function sha256Hex(s: string): string {
  return createHash("sha256").update(s, "utf8").digest("hex");
}

/**
 * Hash of a ledger entry chained onto `prevHash`.
 * @returns 64 lowercase hex (sha256)
 */
export function ledgerEntryHash(prevHash: string, e: LedgerHashFields): string {
  const parts = [
    prevHash,
    e.clientId,
    e.seq.toString(),
    e.kind,
    e.amountMicro.toString(),
    e.balanceAfterMicro.toString(),
    e.ref,
    e.routeId,
    e.method,
    e.txHash,
    // Same fixed form as to_char(... AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
    e.createdAt.toISOString(),
  ];
  return sha256Hex("gate402-ledger-v1|" + parts.map(field).join("|"));
}

/** The hashed fields of a `usage` rollup entry (kind is always 'usage'; no ref, route, method, tx hash). */
export interface UsageHashFields {
  readonly clientId: string;
  readonly seq: bigint;
  /** uneutaro, minus the sum of the calls rolled up */
  readonly amountMicro: bigint;
  readonly balanceAfterMicro: bigint;
  readonly callCount: bigint;
  /** decision ids of the first and last call rolled up (arrival order) */
  readonly firstRef: string;
  readonly lastRef: string;
  readonly createdAt: Date;
}

/**
 * v2 hash of a `usage` rollup entry chained onto `prevHash`; byte-for-byte the SQL function
 * `ledger_usage_hash` (migrations/0010_usage-rollups.sql). Every other kind keeps the v1 hash.
 * @returns 64 lowercase hex (sha256)
 */
export function ledgerUsageHash(prevHash: string, e: UsageHashFields): string {
  const parts = [
    prevHash,
    e.clientId,
    e.seq.toString(),
    "usage",
    e.amountMicro.toString(),
    e.balanceAfterMicro.toString(),
    e.callCount.toString(),
    e.firstRef,
    e.lastRef,
    e.createdAt.toISOString(),
  ];
  return sha256Hex("gate402-ledger-v2|" + parts.map(field).join("|"));
}

/**
 * The fixed prev_hash of an account's first entry (and its ledger_head while it has none).
 * @returns 64 lowercase hex
 */
export function ledgerGenesisHash(clientId: string): string {
  return sha256Hex("gate402-ledger-genesis|" + field(clientId));
}

/** Every stored field of an entry, its asset included (entries of an asset other than the primary). */
export interface AssetHashFields extends LedgerHashFields {
  /** `usage` entries only (else null) */
  readonly callCount: bigint | null;
  readonly firstRef: string | null;
  readonly lastRef: string | null;
  /** the asset of amountMicro and balanceAfterMicro */
  readonly network: string;
  readonly denom: string;
}

/**
 * v3 hash of an entry of an asset other than the primary one (any kind) chained onto `prevHash`;
 * byte-for-byte the SQL function `ledger_asset_hash` (migrations/0012_prepaid-balances-per-asset.sql).
 * @returns 64 lowercase hex (sha256)
 */
export function ledgerAssetHash(prevHash: string, e: AssetHashFields): string {
  const parts = [
    prevHash,
    e.clientId,
    e.seq.toString(),
    e.kind,
    e.amountMicro.toString(),
    e.balanceAfterMicro.toString(),
    e.ref,
    e.routeId,
    e.method,
    e.txHash,
    e.callCount?.toString() ?? null,
    e.firstRef,
    e.lastRef,
    e.network,
    e.denom,
    e.createdAt.toISOString(),
  ];
  return sha256Hex("gate402-ledger-v3|" + parts.map(field).join("|"));
}
