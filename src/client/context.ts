/** What one paidFetch instance shares between the per-request and prepaid flows. */
import { z } from "zod";
import type { SpendDeps } from "./spend.js";

export interface PrepaidSettings {
  readonly clientId: string;
  readonly key: string;
  /** uneutaro paid per top-up (default: the price of the refused request) */
  readonly topUpMicro?: bigint;
  /** absolute deposit URL (default: the 402 body's prepaid.depositUrl, resolved against the request URL) */
  readonly depositUrl?: string;
}

export interface FlowContext extends SpendDeps {
  readonly fetch: typeof fetch;
  readonly prepaid?: PrepaidSettings;
}

const errorBody = z.object({ error: z.string().max(64) });

/** The docs/design.md `error` code of a JSON body, if it has one. */
export function errorCode(body: unknown): string | undefined {
  const r = errorBody.safeParse(body);
  return r.success ? r.data.error : undefined;
}
