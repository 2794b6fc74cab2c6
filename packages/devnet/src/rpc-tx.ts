/** Tx methods of CometBFT 0.37: tx, tx_search and broadcast_tx_{sync,async,commit}. */
import { TxInCacheError, type BlockRecord, type CheckResult } from "./chain.js";
import { QueryParseError, parseQuery } from "./query.js";
import { hexUpper } from "./util.js";
import { txJson, txResultJson } from "./shapes.js";
import { bytesParam, int, internalError, str, type Handler, type Params, type RpcNode } from "./rpc.js";

const COMMIT_TIMEOUT_MS = 10_000;

/** Highest height the indexer shows (lags `indexLagBlocks` blocks behind under that fault). */
function indexedHeight(node: RpcNode): number {
  const lag = node.faults.current.indexLagBlocks;
  return lag > 0 ? node.chain.nthNewestHeight(lag) : node.chain.latest.height;
}

const tx: Handler = (node, params) => {
  const hash = hexUpper(bytesParam(params, "hash"));
  const record = node.chain.index.get(hash, indexedHeight(node));
  if (!record) throw internalError(`tx (${hash}) not found`);
  return txJson(record);
};

function paging(params: Params, total: number): { page: number; perPage: number } {
  const perPage = Math.min(Math.max(int(params, "per_page") ?? 30, 1), 100);
  const page = int(params, "page") ?? 1;
  const pages = Math.max(1, Math.ceil(total / perPage));
  if (page < 1 || page > pages) throw internalError(`page should be within [1, ${pages}] range, given ${page}`);
  return { page, perPage };
}

const txSearch: Handler = (node, params) => {
  const query = str(params, "query");
  if (!query) throw internalError("query cannot be empty");
  const orderBy = str(params, "order_by") ?? "asc";
  if (orderBy !== "asc" && orderBy !== "desc") throw internalError("expected order_by to be either `asc` or `desc` or empty");
  let conditions;
  try {
    conditions = parseQuery(query);
  } catch (e) {
    if (e instanceof QueryParseError) throw internalError(e.message);
    throw e;
  }
  const found = node.chain.index.search(conditions, indexedHeight(node));
  if (orderBy === "desc") found.reverse();
  const { page, perPage } = paging(params, found.length);
  const txs = found.slice((page - 1) * perPage, page * perPage).map(txJson);
  return { txs, total_count: String(found.length) };
};

function checkTx(node: RpcNode, params: Params): CheckResult {
  try {
    return node.chain.checkTx(bytesParam(params, "tx"));
  } catch (e) {
    if (e instanceof TxInCacheError) throw internalError(e.message);
    throw e;
  }
}

function checkJson(r: CheckResult): object {
  return { code: r.code, data: "", log: r.log, codespace: r.codespace, hash: r.hash };
}

function waitForTx(node: RpcNode, hash: string): Promise<BlockRecord> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(internalError("timed out waiting for tx to be included in a block"));
    }, COMMIT_TIMEOUT_MS);
    const off = node.chain.onBlock((b) => {
      if (!b.txs.some((t) => t.hash === hash)) return;
      clearTimeout(timer);
      off();
      resolve(b);
    });
  });
}

const broadcastCommit: Handler = async (node, params) => {
  const r = checkTx(node, params);
  const checkResult = { ...r, events: [] };
  if (r.code !== 0)
    return {
      check_tx: txResultJson(checkResult),
      deliver_tx: txResultJson({ ...checkResult, code: 0, log: "" }),
      hash: r.hash,
      height: "0",
    };
  const block = await waitForTx(node, r.hash);
  const record = block.txs.find((t) => t.hash === r.hash)!;
  return { check_tx: txResultJson(checkResult), deliver_tx: txResultJson(record.result), hash: r.hash, height: String(block.height) };
};

export const txMethods: Record<string, Handler> = {
  tx,
  tx_search: txSearch,
  broadcast_tx_sync: (node, params) => checkJson(checkTx(node, params)),
  // async skips waiting for CheckTx on a real node; here CheckTx is instant, so only the answer differs.
  broadcast_tx_async: (node, params) => ({ ...checkJson(checkTx(node, params)), code: 0, log: "", codespace: "" }),
  broadcast_tx_commit: broadcastCommit,
};
