import { describe, expect, it } from "vitest";
import { parseCoinList, transfersOf, type TxEvent } from "../../../src/chain/transfers.js";
import { FEE_COLLECTOR, OTHER, PAY_TO, PAYER } from "../builders.js";

const IBC = "ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2";
const ev = (type: string, attrs: [string, string][]): TxEvent => ({ type, attributes: attrs.map(([key, value]) => ({ key, value })) });

/** The events of a Cosmos SDK 0.47 MsgSend tx as CometBFT 0.37 reports them (fee first). */
const msgSendEvents: TxEvent[] = [
  ev("coin_spent", [
    ["spender", PAYER],
    ["amount", "5000uneutaro"],
  ]),
  ev("coin_received", [
    ["receiver", FEE_COLLECTOR],
    ["amount", "5000uneutaro"],
  ]),
  ev("transfer", [
    ["recipient", FEE_COLLECTOR],
    ["sender", PAYER],
    ["amount", "5000uneutaro"],
  ]),
  ev("message", [["sender", PAYER]]),
  ev("tx", [
    ["fee", "5000uneutaro"],
    ["fee_payer", PAYER],
  ]),
  ev("tx", [["acc_seq", `${PAYER}/17`]]),
  ev("message", [
    ["action", "/cosmos.bank.v1beta1.MsgSend"],
    ["sender", PAYER],
    ["module", "bank"],
  ]),
  ev("coin_spent", [
    ["spender", PAYER],
    ["amount", "1000uneutaro"],
  ]),
  ev("coin_received", [
    ["receiver", PAY_TO],
    ["amount", "1000uneutaro"],
  ]),
  ev("transfer", [
    ["recipient", PAY_TO],
    ["sender", PAYER],
    ["amount", "1000uneutaro"],
  ]),
];

describe("transfersOf", () => {
  it("reads the fee transfer and the MsgSend transfer of an SDK 0.47 tx, nothing else", () => {
    expect(transfersOf(msgSendEvents)).toEqual([
      { sender: PAYER, recipient: FEE_COLLECTOR, denom: "uneutaro", amountMicro: 5_000n },
      { sender: PAYER, recipient: PAY_TO, denom: "uneutaro", amountMicro: 1_000n },
    ]);
  });

  it("a coin list amount gives one transfer per denom", () => {
    expect(
      transfersOf([
        ev("transfer", [
          ["recipient", PAY_TO],
          ["sender", PAYER],
          ["amount", `10uneutaro,5${IBC}`],
        ]),
      ]),
    ).toEqual([
      { sender: PAYER, recipient: PAY_TO, denom: "uneutaro", amountMicro: 10n },
      { sender: PAYER, recipient: PAY_TO, denom: IBC, amountMicro: 5n },
    ]);
  });

  it("an event carrying several recipient/sender/amount groups gives one transfer per group", () => {
    const merged = ev("transfer", [
      ["recipient", FEE_COLLECTOR],
      ["sender", PAYER],
      ["amount", "5000uneutaro"],
      ["recipient", PAY_TO],
      ["sender", PAYER],
      ["amount", "1000uneutaro"],
      ["recipient", OTHER],
      ["sender", PAY_TO],
      ["amount", "7uneutaro"],
    ]);
    expect(transfersOf([merged]).map((t) => [t.sender, t.recipient, t.amountMicro])).toEqual([
      [PAYER, FEE_COLLECTOR, 5_000n],
      [PAYER, PAY_TO, 1_000n],
      [PAY_TO, OTHER, 7n],
    ]);
  });

  it("in a multi-output event the sender given once applies to the following groups", () => {
    const multi = ev("transfer", [
      ["sender", PAYER],
      ["recipient", PAY_TO],
      ["amount", "400uneutaro"],
      ["recipient", OTHER],
      ["amount", "600uneutaro"],
    ]);
    expect(transfersOf([multi])).toEqual([
      { sender: PAYER, recipient: PAY_TO, denom: "uneutaro", amountMicro: 400n },
      { sender: PAYER, recipient: OTHER, denom: "uneutaro", amountMicro: 600n },
    ]);
  });

  it("SDK 0.50 msg_index attributes do not break grouping", () => {
    const e = ev("transfer", [
      ["recipient", PAY_TO],
      ["sender", PAYER],
      ["amount", "1000uneutaro"],
      ["msg_index", "0"],
    ]);
    expect(transfersOf([e])).toEqual([{ sender: PAYER, recipient: PAY_TO, denom: "uneutaro", amountMicro: 1_000n }]);
  });

  it("a transfer without recipient or amount is skipped", () => {
    expect(
      transfersOf([
        ev("transfer", [
          ["sender", PAYER],
          ["amount", "10uneutaro"],
        ]),
        ev("transfer", [
          ["recipient", PAY_TO],
          ["sender", PAYER],
        ]),
      ]),
    ).toEqual([]);
  });

  it("amounts beyond 2^53 stay exact", () => {
    const e = ev("transfer", [
      ["recipient", PAY_TO],
      ["sender", PAYER],
      ["amount", "9007199254740993uneutaro"],
    ]);
    expect(transfersOf([e])[0]!.amountMicro).toBe(9_007_199_254_740_993n);
  });
});

describe("parseCoinList", () => {
  it("parses every well-formed coin and skips junk", () => {
    expect(parseCoinList(`10uneutaro, 5${IBC},junk,-3uneutaro,12,uneutaro,1.5uatom,7factory/neutaro1abc/token`)).toEqual([
      { amountMicro: 10n, denom: "uneutaro" },
      { amountMicro: 5n, denom: IBC },
      { amountMicro: 7n, denom: "factory/neutaro1abc/token" },
    ]);
  });

  it("an empty string is no coins", () => {
    expect(parseCoinList("")).toEqual([]);
  });
});
