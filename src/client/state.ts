/**
 * What the SDK persists across restarts: budget spends (for the rolling caps) and payment receipts
 * (for accounting and idempotency), plus the `PolicyStore` port that keeps them.
 * The state is plain JSON: amounts are decimal integer strings of micro-units (uneutaro).
 */
import { z } from "zod";

const micro = z.string().regex(/^\d{1,30}$/);

/** One reserved or spent amount, counted by the hourly and daily windows. */
export const spendSchema = z.object({
  id: z.string().min(1).max(64),
  /** uneutaro */
  amountMicro: micro,
  /** unix ms */
  at: z.number().int().nonnegative(),
  /** reserved: budget held, payment in flight or outcome unknown; spent: payment made */
  state: z.enum(["reserved", "spent"]),
});
export type Spend = z.infer<typeof spendSchema>;

/** A payment that left the wallet: written before the request is retried with its proof. */
export const receiptSchema = z.object({
  /** invoice: pay-per-request; deposit: prepaid top-up */
  kind: z.enum(["invoice", "deposit"]),
  /** `<METHOD> <URL>[ #<idempotencyKey>]` of the request that triggered the payment */
  requestKey: z.string(),
  invoiceId: z.string().optional(),
  /** prepaid account credited (deposit receipts) */
  clientId: z.string().optional(),
  memo: z.string(),
  /** 64 uppercase hex */
  txHash: z.string().regex(/^[0-9A-F]{64}$/),
  /** uneutaro */
  amountMicro: micro,
  /** display amount, 6 decimals, e.g. "0.001000" */
  amount: z.string(),
  denom: z.string(),
  payTo: z.string(),
  network: z.string(),
  url: z.string(),
  method: z.string(),
  /** RFC 3339 */
  paidAt: z.string(),
  /** unredeemed: proof not yet accepted (reused on restart); redeemed: the server took it; refused: the server rejected it */
  status: z.enum(["unredeemed", "redeemed", "refused"]),
  /** RFC 3339, when status left "unredeemed" */
  settledAt: z.string().optional(),
  /** server error code when refused */
  refusal: z.string().optional(),
  /** how the proof is presented: X-Payment-Proof (default) or x402 v2 PAYMENT-SIGNATURE */
  proofHeader: z.enum(["x-payment-proof", "payment-signature"]).optional(),
  /** signed-transaction payload (base64 TxRaw) when the server broadcasts the payment */
  signedTx: z.string().max(8192).optional(),
  /** its `payload.authorization` */
  authorization: z
    .object({ from: z.string(), to: z.string(), amount: z.string(), denom: z.string(), timeoutAt: z.number().int().optional() })
    .optional(),
  /** what the payment bought (absent in receipts written before offers existed: single) */
  offer: z.enum(["single", "bundle", "pass"]).optional(),
  /** requests the payment bought (bundles), 1 otherwise */
  uses: z.number().int().positive().optional(),
  /** pass scope */
  scope: z.string().optional(),
  /** requests served by this payment so far (bundles and passes) */
  used: z.number().int().nonnegative().optional(),
});
export type Receipt = z.infer<typeof receiptSchema>;

export const clientStateSchema = z.object({
  version: z.literal(1),
  spends: z.array(spendSchema),
  receipts: z.array(receiptSchema),
});
export type ClientState = z.infer<typeof clientStateSchema>;

export const emptyState = (): ClientState => ({ version: 1, spends: [], receipts: [] });

/**
 * Persistence port for the budget and receipts. One process owns a store at a time: the SDK serialises
 * its own calls with an in-process mutex, so load/save never race within that process.
 */
export interface PolicyStore {
  /** The last saved state, or null when nothing was saved yet. Throws when the stored data is corrupt. */
  load(): Promise<ClientState | null>;
  /** Replaces the state atomically: after a crash, load() sees the old or the new state, never a mix. */
  save(state: ClientState): Promise<void>;
}

/** In-memory store (browsers, tests). Loses everything on restart. */
export function memoryStore(): PolicyStore {
  let saved: string | null = null;
  return {
    load: async () => (saved === null ? null : clientStateSchema.parse(JSON.parse(saved))),
    save: async (state) => {
      saved = JSON.stringify(state);
    },
  };
}
