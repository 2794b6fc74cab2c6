/**
 * abci_query for the gRPC paths cosmjs's QueryClient uses (SDK 0.47 gRPC-over-ABCI): auth Account,
 * bank Balance / AllBalances and tx Simulate. Errors follow baseapp: NotFound becomes code 22 with
 * "rpc error: code = NotFound desc = …" in the log (cosmjs matches that text), tx failures keep their code.
 */
import { toBase64 } from "@cosmjs/encoding";
import { BaseAccount, ModuleAccount } from "cosmjs-types/cosmos/auth/v1beta1/auth";
import { QueryAccountRequest, QueryAccountResponse } from "cosmjs-types/cosmos/auth/v1beta1/query";
import {
  QueryAllBalancesRequest,
  QueryAllBalancesResponse,
  QueryBalanceRequest,
  QueryBalanceResponse,
} from "cosmjs-types/cosmos/bank/v1beta1/query";
import { PubKey } from "cosmjs-types/cosmos/crypto/secp256k1/keys";
import { SimulateRequest, SimulateResponse } from "cosmjs-types/cosmos/tx/v1beta1/service";
import { Any } from "cosmjs-types/google/protobuf/any";
import type { Chain } from "./chain.js";
import { SdkCode, TxError } from "./codes.js";
import type { AccountInfo } from "./ledger.js";

/** ResponseQuery fields the devnet fills (value is protobuf bytes). */
export interface QueryResult {
  readonly code: number;
  readonly log: string;
  readonly codespace: string;
  readonly value: Uint8Array;
}

const ok = (value: Uint8Array): QueryResult => ({ code: 0, log: "", codespace: "", value });
const fail = (code: number, log: string, codespace = "sdk"): QueryResult => ({ code, log, codespace, value: new Uint8Array() });

function accountAny(acc: AccountInfo): Any {
  const pubKey = acc.pubkey
    ? Any.fromPartial({ typeUrl: "/cosmos.crypto.secp256k1.PubKey", value: PubKey.encode({ key: acc.pubkey }).finish() })
    : undefined;
  const base = BaseAccount.fromPartial({
    address: acc.address,
    pubKey,
    accountNumber: BigInt(acc.accountNumber),
    sequence: BigInt(acc.sequence),
  });
  if (acc.moduleName) {
    const value = ModuleAccount.encode(ModuleAccount.fromPartial({ baseAccount: base, name: acc.moduleName, permissions: [] })).finish();
    return Any.fromPartial({ typeUrl: "/cosmos.auth.v1beta1.ModuleAccount", value });
  }
  return Any.fromPartial({ typeUrl: "/cosmos.auth.v1beta1.BaseAccount", value: BaseAccount.encode(base).finish() });
}

function account(chain: Chain, data: Uint8Array): QueryResult {
  const { address } = QueryAccountRequest.decode(data);
  const acc = chain.ledger.account(address);
  if (!acc) return fail(SdkCode.keyNotFound, `rpc error: code = NotFound desc = account ${address} not found: key not found`);
  return ok(QueryAccountResponse.encode({ account: accountAny(acc) }).finish());
}

function balance(chain: Chain, data: Uint8Array): QueryResult {
  const { address, denom } = QueryBalanceRequest.decode(data);
  const amount = chain.ledger.balance(address, denom).toString();
  return ok(QueryBalanceResponse.encode({ balance: { denom, amount } }).finish());
}

function allBalances(chain: Chain, data: Uint8Array): QueryResult {
  const { address } = QueryAllBalancesRequest.decode(data);
  const balances = chain.ledger.allBalances(address).map((c) => ({ denom: c.denom, amount: c.amountMicro.toString() }));
  const pagination = { nextKey: new Uint8Array(), total: BigInt(balances.length) };
  return ok(QueryAllBalancesResponse.encode({ balances, pagination }).finish());
}

function simulate(chain: Chain, data: Uint8Array): QueryResult {
  const req = SimulateRequest.decode(data);
  try {
    const gasUsed = chain.simulate(req.txBytes);
    const res = SimulateResponse.fromPartial({
      gasInfo: { gasWanted: gasUsed, gasUsed },
      result: { data: new Uint8Array(), log: "", events: [], msgResponses: [] },
    });
    return ok(SimulateResponse.encode(res).finish());
  } catch (e) {
    if (e instanceof TxError) return fail(e.code, e.log, e.codespace);
    throw e;
  }
}

const handlers: Record<string, (chain: Chain, data: Uint8Array) => QueryResult> = {
  "/cosmos.auth.v1beta1.Query/Account": account,
  "/cosmos.bank.v1beta1.Query/Balance": balance,
  "/cosmos.bank.v1beta1.Query/AllBalances": allBalances,
  "/cosmos.tx.v1beta1.Service/Simulate": simulate,
};

/** Runs one abci_query. Unknown paths answer code 6 (unknown request), undecodable data code 2. */
export function abciQuery(chain: Chain, path: string, data: Uint8Array): QueryResult {
  const handler = handlers[path];
  if (!handler) return fail(SdkCode.unknownRequest, `unknown query path ${path}: unknown request`);
  try {
    return handler(chain, data);
  } catch (e) {
    if (e instanceof TxError) return fail(e.code, e.log, e.codespace);
    return fail(SdkCode.txDecode, `failed to decode request: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** abci_query result JSON for `height`. */
export function abciQueryJson(r: QueryResult, height: number): object {
  return {
    response: {
      code: r.code,
      log: r.log,
      info: "",
      index: "0",
      key: null,
      value: toBase64(r.value),
      proofOps: null,
      height: String(height),
      codespace: r.codespace,
    },
  };
}
