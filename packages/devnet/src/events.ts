/**
 * ABCI events with Cosmos SDK 0.47 shapes: plain-string attributes (CometBFT 0.37 no longer base64s
 * them), every attribute `index: true` because SDK 0.47 indexes all by default.
 */
import type { CoinMicro } from "./txdecode.js";

export interface EventAttribute {
  readonly key: string;
  readonly value: string;
  readonly index: boolean;
}

export interface AbciEvent {
  readonly type: string;
  readonly attributes: readonly EventAttribute[];
}

/** Builds an event from [key, value] pairs, all indexed. */
export function event(type: string, ...pairs: Array<[string, string]>): AbciEvent {
  return { type, attributes: pairs.map(([key, value]) => ({ key, value, index: true })) };
}

/** sdk.Coins.String(): "5uatom,1000uneutaro", sorted by denom, zero amounts dropped, "" when empty. */
export function coinsString(coins: readonly CoinMicro[]): string {
  return [...coins]
    .filter((c) => c.amountMicro > 0n)
    .sort((a, b) => (a.denom < b.denom ? -1 : a.denom > b.denom ? 1 : 0))
    .map((c) => `${c.amountMicro}${c.denom}`)
    .join(",");
}

/** Events of x/bank SendCoins (SDK 0.47): coin_spent, coin_received, transfer, message{sender}. */
export function sendCoinsEvents(sender: string, recipient: string, coins: readonly CoinMicro[]): AbciEvent[] {
  const amount = coinsString(coins);
  return [
    event("coin_spent", ["spender", sender], ["amount", amount]),
    event("coin_received", ["receiver", recipient], ["amount", amount]),
    event("transfer", ["recipient", recipient], ["sender", sender], ["amount", amount]),
    event("message", ["sender", sender]),
  ];
}

/**
 * Events of x/bank InputOutputCoins (SDK 0.47, MsgMultiSend): the input's coin_spent and message{sender},
 * then per output coin_received and transfer{recipient, amount} (0.47 puts no sender on these).
 */
export function multiSendEvents(
  input: { address: string; coins: readonly CoinMicro[] },
  outputs: ReadonlyArray<{ address: string; coins: readonly CoinMicro[] }>,
): AbciEvent[] {
  const events = [
    event("coin_spent", ["spender", input.address], ["amount", coinsString(input.coins)]),
    event("message", ["sender", input.address]),
  ];
  for (const out of outputs) {
    const amount = coinsString(out.coins);
    events.push(event("coin_received", ["receiver", out.address], ["amount", amount]));
    events.push(event("transfer", ["recipient", out.address], ["amount", amount]));
  }
  return events;
}

/** The baseapp message event that opens each message's events: action, sender, module. */
export function messageEvent(typeUrl: string, sender: string): AbciEvent {
  return event("message", ["action", typeUrl], ["sender", sender], ["module", "bank"]);
}
