import type { StoreCallOptions, StorePort } from "../ports/store.js";

/**
 * The store as one Check sees it: every decision-path call carries that Check's deadline (unix ms),
 * so the store answers 503 by then and a money write reaching Postgres later changes nothing.
 * Everything else passes through unchanged.
 */
export function storeWithDeadline(store: StorePort, deadlineAt: number): StorePort {
  const at = (opts?: StoreCallOptions): StoreCallOptions => ({ deadlineAt: Math.min(deadlineAt, opts?.deadlineAt ?? Infinity) });
  return {
    payments: store.payments,
    redeem: (input, opts) => store.redeem(input, at(opts)),
    findRedemption: (invoiceId, opts) => store.findRedemption(invoiceId, at(opts)),
    createAccount: (account) => store.createAccount(account),
    getAccount: (clientId, opts) => store.getAccount(clientId, at(opts)),
    findAccountByDepositMemo: (memo) => store.findAccountByDepositMemo(memo),
    checkKey: (clientId, keyHash) => store.checkKey(clientId, keyHash),
    debit: (input, opts) => store.debit(input, at(opts)),
    creditDeposit: (input) => store.creditDeposit(input),
    ping: () => store.ping(),
    close: () => store.close(),
  };
}
