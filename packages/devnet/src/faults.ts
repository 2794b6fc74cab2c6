/**
 * Fault injection for resilience tests. Faults apply to every public RPC method (or only to `methods`
 * when that list is non-empty); admin methods (devnet_*) are never affected so a test can always clear.
 */
import { z } from "zod";

export interface FaultConfig {
  /** delay before every answer, ms (0 = none) */
  readonly stallMs: number;
  /** destroy the connection without answering */
  readonly drop: boolean;
  /** "http500": HTTP 500 with a JSON-RPC error body; "rpc": HTTP 200 with a JSON-RPC error */
  readonly error: "none" | "http500" | "rpc";
  /** answer 200 with a body that is not JSON */
  readonly garbage: boolean;
  /** tx / tx_search do not see the txs of the newest N blocks */
  readonly indexLagBlocks: number;
  /** the next block jumps N heights (one-shot; reset to 0 once used) */
  readonly skipHeights: number;
  /** RPC methods the faults apply to; empty = all */
  readonly methods: readonly string[];
}

/** Schema of a partial fault update (admin JSON-RPC `devnet_fault` params and `faults.set`). */
export const faultUpdateSchema = z
  .object({
    stallMs: z.number().int().min(0).max(600_000),
    drop: z.boolean(),
    error: z.enum(["none", "http500", "rpc"]),
    garbage: z.boolean(),
    indexLagBlocks: z.number().int().min(0).max(1_000_000),
    skipHeights: z.number().int().min(0).max(1_000_000),
    methods: z.array(z.string()).max(64),
  })
  .partial()
  .strict();

export type FaultUpdate = z.infer<typeof faultUpdateSchema>;

const NORMAL: FaultConfig = Object.freeze({
  stallMs: 0,
  drop: false,
  error: "none",
  garbage: false,
  indexLagBlocks: 0,
  skipHeights: 0,
  methods: [],
});

/** Live fault switches of one devnet. */
export class DevnetFaults {
  private config: FaultConfig = NORMAL;

  /** The active configuration (frozen snapshot). */
  get current(): FaultConfig {
    return this.config;
  }

  /**
   * Merges `update` into the active faults.
   * @throws ZodError for unknown keys or out-of-range values
   */
  set(update: FaultUpdate): FaultConfig {
    const parsed = faultUpdateSchema.parse(update);
    this.config = Object.freeze({ ...this.config, ...parsed });
    return this.config;
  }

  /** Restores normal service at once (already skipped heights stay missing, as on a real node). */
  clear(): FaultConfig {
    this.config = NORMAL;
    return this.config;
  }

  /** Whether request faults (stall, drop, error, garbage) hit `method`. */
  appliesTo(method: string): boolean {
    if (method.startsWith("devnet_")) return false;
    return this.config.methods.length === 0 || this.config.methods.includes(method);
  }

  /** Returns the pending height skip and resets it (the block producer calls this once per block). */
  takeSkipHeights(): number {
    const n = this.config.skipHeights;
    if (n > 0) this.config = Object.freeze({ ...this.config, skipHeights: 0 });
    return n;
  }
}
