/** Read-only CometBFT 0.37 methods: status, abci_info, abci_query, block, block_results, blockchain, health. */
import { toBase64, fromHex } from "@cosmjs/encoding";
import { abciQuery, abciQueryJson } from "./abci.js";
import type { BlockRecord } from "./chain.js";
import { blockJson, blockMetaJson, statusJson, txResultJson } from "./shapes.js";
import { bytesParam, int, internalError, str, type Handler, type RpcNode } from "./rpc.js";

/** The block at `height` (latest when undefined), erroring like CometBFT for missing heights. */
function blockAt(node: RpcNode, height: number | undefined): BlockRecord {
  const latest = node.chain.latest;
  if (height === undefined || height === 0) return latest;
  if (height < 0) throw internalError(`height must be greater than 0, but got ${height}`);
  if (height > latest.height) {
    throw internalError(`height ${height} must be less than or equal to the current blockchain height ${latest.height}`);
  }
  const block = node.chain.block(height);
  // A skipped height looks like a pruned one.
  if (!block)
    throw internalError(`height ${height} is not available, lowest height is ${node.chain.nextHeightAfter(height) ?? latest.height}`);
  return block;
}

const status: Handler = (node) =>
  statusJson({ chainId: node.chainId, listenAddr: node.listenAddr(), latest: node.chain.latest, earliest: blockAt(node, 1) });

const abciInfo: Handler = (node) => {
  const latest = node.chain.latest;
  return {
    response: {
      data: "neutaro",
      version: "0.47.13",
      app_version: "1",
      last_block_height: String(latest.height),
      last_block_app_hash: toBase64(fromHex(latest.appHash)),
    },
  };
};

const abciQueryMethod: Handler = (node, params) => {
  const path = str(params, "path") ?? "";
  const hex = str(params, "data") ?? "";
  const data = hex === "" ? new Uint8Array() : bytesParam({ data: hex.startsWith("0x") ? hex : `0x${hex}` }, "data");
  return abciQueryJson(abciQuery(node.chain, path, data), node.chain.latest.height);
};

const block: Handler = (node, params) => {
  const b = blockAt(node, int(params, "height"));
  return blockJson(b, node.chain.previous(b.height), node.chainId);
};

const blockResults: Handler = (node, params) => {
  const b = blockAt(node, int(params, "height"));
  return {
    height: String(b.height),
    txs_results: b.txs.map((t) => txResultJson(t.result)),
    begin_block_events: [],
    end_block_events: [],
    validator_updates: null,
    consensus_param_updates: null,
  };
};

/** Up to 20 block metas, newest first, in [minHeight, maxHeight] (CometBFT's `blockchain`). */
const blockchain: Handler = (node, params) => {
  const latest = node.chain.latest.height;
  const max = Math.min(int(params, "maxHeight") || latest, latest);
  const min = Math.max(int(params, "minHeight") || 1, 1, max - 19);
  if (min > max) throw internalError(`min height ${min} can't be greater than max height ${max}`);
  const metas: object[] = [];
  for (let h = max; h >= min; h--) {
    const b = node.chain.block(h);
    if (b) metas.push(blockMetaJson(b, node.chain.previous(h), node.chainId));
  }
  return { last_height: String(latest), block_metas: metas };
};

export const infoMethods: Record<string, Handler> = {
  health: () => ({}),
  status,
  abci_info: abciInfo,
  abci_query: abciQueryMethod,
  block,
  block_results: blockResults,
  blockchain,
  num_unconfirmed_txs: (node) => ({
    n_txs: String(node.chain.mempoolSize),
    total: String(node.chain.mempoolSize),
    total_bytes: "0",
    txs: null,
  }),
};
