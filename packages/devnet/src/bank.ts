/**
 * x/bank message execution (SDK 0.47 semantics) for MsgSend and MsgMultiSend. Messages run all-or-nothing:
 * first as a dry run on a throwaway overlay, then for real, so a failing second message leaves no trace
 * of the first (as the SDK's cached multistore does).
 */
import { SdkCode, TxError } from "./codes.js";
import { coinsString, messageEvent, multiSendEvents, sendCoinsEvents, type AbciEvent } from "./events.js";
import { CheckOverlay, type Ledger, type LedgerView } from "./ledger.js";
import { MSG_SEND, toCoinsMicro, type BankMsg, type CoinMicro } from "./txdecode.js";

/** Addresses x/bank refuses to credit (module accounts), as SDK 0.47 BlockedAddrs. */
export type BlockedAddresses = ReadonlySet<string>;

function checkPositive(coins: readonly CoinMicro[]): void {
  if (coins.length === 0 || coins.some((c) => c.amountMicro <= 0n)) {
    throw new TxError(SdkCode.invalidCoins, `${coinsString(coins) || "0"}: invalid coins`);
  }
}

function sumCoins(list: ReadonlyArray<readonly CoinMicro[]>): Map<string, bigint> {
  const sum = new Map<string, bigint>();
  for (const coins of list) for (const c of coins) sum.set(c.denom, (sum.get(c.denom) ?? 0n) + c.amountMicro);
  return sum;
}

/**
 * Stateless checks (SDK ValidateBasic), run at CheckTx.
 * @throws TxError 10 invalid coins, 4 (codespace bank) when MultiSend inputs and outputs differ
 */
export function validateBasic(msgs: readonly BankMsg[]): void {
  for (const m of msgs) {
    if (m.typeUrl === MSG_SEND) {
      checkPositive(toCoinsMicro(m.value.amount));
      continue;
    }
    const ins = m.value.inputs.map((i) => toCoinsMicro(i.coins));
    const outs = m.value.outputs.map((o) => toCoinsMicro(o.coins));
    [...ins, ...outs].forEach(checkPositive);
    if (outs.length === 0) throw new TxError(SdkCode.noSignatures, "no outputs to send transaction: no outputs", "bank");
    const a = sumCoins(ins),
      b = sumCoins(outs);
    const same = a.size === b.size && [...a].every(([d, v]) => b.get(d) === v);
    if (!same) throw new TxError(4, "sum inputs != sum outputs", "bank");
  }
}

function subtract(view: LedgerView, address: string, coins: readonly CoinMicro[]): void {
  for (const c of coins) {
    const have = view.balance(address, c.denom);
    if (have < c.amountMicro) {
      throw new TxError(SdkCode.insufficientFunds, `${have}${c.denom} is smaller than ${c.amountMicro}${c.denom}: insufficient funds`);
    }
  }
  for (const c of coins) view.addBalance(address, c.denom, -c.amountMicro);
}

function credit(view: LedgerView, address: string, coins: readonly CoinMicro[], blocked: BlockedAddresses): void {
  if (blocked.has(address)) throw new TxError(SdkCode.unauthorized, `${address} is not allowed to receive funds: unauthorized`);
  view.ensureAccount(address);
  for (const c of coins) view.addBalance(address, c.denom, c.amountMicro);
}

function runMsg(view: LedgerView, m: BankMsg, blocked: BlockedAddresses): AbciEvent[] {
  if (m.typeUrl === MSG_SEND) {
    const coins = toCoinsMicro(m.value.amount);
    subtract(view, m.value.fromAddress, coins);
    credit(view, m.value.toAddress, coins, blocked);
    return [messageEvent(m.typeUrl, m.value.fromAddress), ...sendCoinsEvents(m.value.fromAddress, m.value.toAddress, coins)];
  }
  const input = m.value.inputs[0]!;
  const inCoins = toCoinsMicro(input.coins);
  subtract(view, input.address, inCoins);
  const outs = m.value.outputs.map((o) => ({ address: o.address, coins: toCoinsMicro(o.coins) }));
  for (const o of outs) credit(view, o.address, o.coins, blocked);
  return [messageEvent(m.typeUrl, input.address), ...multiSendEvents({ address: input.address, coins: inCoins }, outs)];
}

function runAll(view: LedgerView, msgs: readonly BankMsg[], blocked: BlockedAddresses): AbciEvent[][] {
  return msgs.map((m, i) => {
    try {
      return runMsg(view, m, blocked);
    } catch (e) {
      if (e instanceof TxError) throw new TxError(e.code, `failed to execute message; message index: ${i}: ${e.log}`, e.codespace);
      throw e;
    }
  });
}

/**
 * Executes the messages against `ledger`, all or nothing.
 * @returns the events of each message, in order
 * @throws TxError (5 insufficient funds, 4 blocked recipient) with nothing applied
 */
export function executeMsgs(ledger: Ledger, msgs: readonly BankMsg[], blocked: BlockedAddresses): AbciEvent[][] {
  runAll(new CheckOverlay(ledger), msgs, blocked);
  return runAll(ledger, msgs, blocked);
}

/** Dry run for Simulate: same checks, nothing applied. @throws TxError */
export function dryRunMsgs(view: LedgerView, msgs: readonly BankMsg[], blocked: BlockedAddresses): void {
  runAll(view, msgs, blocked);
}
