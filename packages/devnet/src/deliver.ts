/**
 * DeliverTx: runs one mempool tx against the committed ledger and builds its ABCI result. Like SDK 0.47,
 * a tx whose ante passes but whose messages fail keeps its fee and sequence bump and is included with
 * the message error's code and only the ante events.
 */
import { Any } from "cosmjs-types/google/protobuf/any";
import { TxMsgData } from "cosmjs-types/cosmos/base/abci/v1beta1/abci";
import { runAnte, gasUsed, type AnteContext } from "./ante.js";
import { executeMsgs, type BlockedAddresses } from "./bank.js";
import { TxError } from "./codes.js";
import type { AbciEvent } from "./events.js";
import type { TxResult } from "./indexer.js";
import type { Ledger } from "./ledger.js";
import type { DecodedTx } from "./txdecode.js";

/** 0.47's raw log: per message, its events with same-type events merged (sdk.StringifyEvents). */
function messageLog(perMsg: readonly AbciEvent[][]): string {
  return JSON.stringify(
    perMsg.map((events, i) => {
      const merged = new Map<string, Array<{ key: string; value: string }>>();
      for (const ev of events) {
        const list = merged.get(ev.type) ?? [];
        if (list.length === 0) merged.set(ev.type, list);
        list.push(...ev.attributes.map((a) => ({ key: a.key, value: a.value })));
      }
      return { msg_index: i, events: [...merged].map(([type, attributes]) => ({ type, attributes })) };
    }),
  );
}

function msgData(tx: DecodedTx): Uint8Array {
  const msgResponses = tx.msgs.map((m) => Any.fromPartial({ typeUrl: `${m.typeUrl}Response`, value: new Uint8Array() }));
  return TxMsgData.encode(TxMsgData.fromPartial({ msgResponses })).finish();
}

function failure(e: unknown, tx: DecodedTx, events: readonly AbciEvent[], used: bigint): TxResult {
  if (!(e instanceof TxError)) throw e;
  return { code: e.code, codespace: e.codespace, log: e.log, data: new Uint8Array(), gasWanted: tx.gasLimit, gasUsed: used, events };
}

/**
 * Runs ante and messages of `tx` on `ledger`.
 * @returns the DeliverTx result (code 0 on success; SDK code and codespace otherwise)
 */
export function deliverTx(tx: DecodedTx, ledger: Ledger, ctx: AnteContext, blocked: BlockedAddresses): TxResult {
  const used = gasUsed(tx);
  let anteEvents: AbciEvent[];
  try {
    anteEvents = runAnte(tx, ledger, ctx, "deliver");
  } catch (e) {
    return failure(e, tx, [], 0n);
  }
  try {
    const perMsg = executeMsgs(ledger, tx.msgs, blocked);
    return {
      code: 0,
      codespace: "",
      log: messageLog(perMsg),
      data: msgData(tx),
      gasWanted: tx.gasLimit,
      gasUsed: used,
      events: [...anteEvents, ...perMsg.flat()],
    };
  } catch (e) {
    return failure(e, tx, anteEvents, used);
  }
}
