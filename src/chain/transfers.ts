import type { Transfer } from "../ports/chain.js";

/** A tx event as cosmjs decodes it (CometBFT 0.37: plain-string attributes). */
export interface TxEvent {
  readonly type: string;
  readonly attributes: readonly { readonly key: string; readonly value: string }[];
}

const COIN_RE = /^(\d{1,40})([a-zA-Z][a-zA-Z0-9/:._-]{1,127})$/;

/**
 * Parses a Cosmos coin list "1000uneutaro,5ibc/ABC" into (amount, denom) pairs.
 * @returns amounts in micro-units (bigint); entries that do not parse are skipped
 */
export function parseCoinList(s: string): { denom: string; amountMicro: bigint }[] {
  const out: { denom: string; amountMicro: bigint }[] = [];
  for (const part of s.split(",")) {
    const m = COIN_RE.exec(part.trim());
    if (m) out.push({ amountMicro: BigInt(m[1]!), denom: m[2]! });
  }
  return out;
}

/**
 * Extracts every bank `transfer` (SDK 0.47 event shape: recipient, sender, amount) from a tx's
 * events. Also handles events that carry several recipient/amount groups (MsgMultiSend outputs),
 * where the sender may be given once: a repeated key starts a new group.
 */
export function transfersOf(events: readonly TxEvent[]): Transfer[] {
  const out: Transfer[] = [];
  for (const ev of events) {
    if (ev.type !== "transfer") continue;
    let group: Record<string, string> = {};
    let lastSender = "";
    const flush = () => {
      if (group["sender"]) lastSender = group["sender"];
      if (group["recipient"] && group["amount"]) {
        for (const c of parseCoinList(group["amount"]))
          out.push({ sender: group["sender"] ?? lastSender, recipient: group["recipient"], ...c });
      }
      group = {};
    };
    for (const { key, value } of ev.attributes) {
      if (key in group) flush();
      group[key] = value;
    }
    flush();
  }
  return out;
}
