/**
 * Admin JSON-RPC methods (not part of CometBFT; never hit by faults):
 * - devnet_fault {stallMs?, drop?, error?, garbage?, indexLagBlocks?, skipHeights?, methods?, clear?}
 *   → the active fault config; `clear: true` restores normal service first.
 * - devnet_fund {address, amount} → {address, denom, balance}; amount in micro-units as a decimal string.
 * - devnet_produce_block {} → {height}
 */
import { fromBech32 } from "@cosmjs/encoding";
import { faultUpdateSchema } from "./faults.js";
import { invalidParams, str, type Handler } from "./rpc.js";

const devnetFault: Handler = (node, params) => {
  const { clear, ...update } = params;
  if (clear === true) node.faults.clear();
  const parsed = faultUpdateSchema.safeParse(update);
  if (!parsed.success) throw invalidParams(parsed.error.message);
  return node.faults.set(parsed.data);
};

const devnetFund: Handler = (node, params) => {
  const address = str(params, "address") ?? "";
  const amount = str(params, "amount") ?? "";
  try {
    fromBech32(address, 90);
  } catch {
    throw invalidParams(`invalid address "${address}"`);
  }
  if (!/^\d{1,30}$/.test(amount)) throw invalidParams("amount must be a whole number of micro-units as a string");
  node.chain.fund(address, node.denom, BigInt(amount));
  return { address, denom: node.denom, balance: node.chain.ledger.balance(address, node.denom).toString() };
};

export const adminMethods: Record<string, Handler> = {
  devnet_fault: devnetFault,
  devnet_fund: devnetFund,
  devnet_produce_block: (node) => ({ height: node.produceBlock() }),
};
