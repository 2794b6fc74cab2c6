/**
 * JSON shapes of CometBFT 0.37 RPC results (as cosmjs's Tendermint37 adaptor decodes them): hashes and
 * addresses uppercase hex, byte fields base64, 64-bit integers as decimal strings, times RFC 3339 with
 * nanoseconds, event attributes as plain strings with `index`.
 */
import { sha256 } from "@cosmjs/crypto";
import { toBase64, fromHex } from "@cosmjs/encoding";
import type { BlockRecord } from "./chain.js";
import type { TxRecord, TxResult } from "./indexer.js";
import { hexUpper, labelHash, rfc3339Nanos } from "./util.js";

/** The single validator: a fixed ed25519 key; address = first 20 bytes of sha256(pubkey). */
export const VALIDATOR_PUBKEY = labelHash("gate402-devnet-validator");
export const VALIDATOR_ADDRESS = hexUpper(sha256(VALIDATOR_PUBKEY).slice(0, 20));
export const VALIDATOR_POWER = "10";
const FAKE_SIGNATURE = toBase64(new Uint8Array([...labelHash("sig-r"), ...labelHash("sig-s")]));

const EMPTY_BLOCK_ID = { hash: "", parts: { total: 0, hash: "" } };

export function blockIdJson(block: BlockRecord): object {
  return { hash: block.hash, parts: { total: 1, hash: hexUpper(sha256(fromHex(block.hash))) } };
}

function headerJson(block: BlockRecord, prev: BlockRecord | undefined, chainId: string): object {
  const empty = hexUpper(sha256(new Uint8Array()));
  return {
    version: { block: "11", app: "0" },
    chain_id: chainId,
    height: String(block.height),
    time: rfc3339Nanos(block.timeMs),
    last_block_id: prev ? blockIdJson(prev) : EMPTY_BLOCK_ID,
    last_commit_hash: prev ? hexUpper(sha256(fromHex(prev.hash))) : empty,
    data_hash: block.dataHash,
    validators_hash: hexUpper(sha256(VALIDATOR_PUBKEY)),
    next_validators_hash: hexUpper(sha256(VALIDATOR_PUBKEY)),
    consensus_hash: hexUpper(labelHash("consensus-params")),
    app_hash: prev?.appHash ?? "",
    last_results_hash: empty,
    evidence_hash: empty,
    proposer_address: VALIDATOR_ADDRESS,
  };
}

function lastCommitJson(block: BlockRecord, prev: BlockRecord | undefined): object {
  if (!prev) return { height: "0", round: 0, block_id: EMPTY_BLOCK_ID, signatures: [] };
  const signature = {
    block_id_flag: 2,
    validator_address: VALIDATOR_ADDRESS,
    timestamp: rfc3339Nanos(block.timeMs),
    signature: FAKE_SIGNATURE,
  };
  return { height: String(prev.height), round: 0, block_id: blockIdJson(prev), signatures: [signature] };
}

/** Result of the `block` method. `prev` is the block before (skipped heights jumped over). */
export function blockJson(block: BlockRecord, prev: BlockRecord | undefined, chainId: string): object {
  return {
    block_id: blockIdJson(block),
    block: {
      header: headerJson(block, prev, chainId),
      data: { txs: block.txs.map((t) => toBase64(t.bytes)) },
      evidence: { evidence: [] },
      last_commit: lastCommitJson(block, prev),
    },
  };
}

/** A block_meta of the `blockchain` method. */
export function blockMetaJson(block: BlockRecord, prev: BlockRecord | undefined, chainId: string): object {
  const size = block.txs.reduce((n, t) => n + t.bytes.length, 500);
  return {
    block_id: blockIdJson(block),
    block_size: String(size),
    header: headerJson(block, prev, chainId),
    num_txs: String(block.txs.length),
  };
}

/** ResponseDeliverTx / ResponseCheckTx JSON (0.37: attributes are plain strings). */
export function txResultJson(r: Omit<TxResult, "data"> & { data?: Uint8Array }): object {
  return {
    code: r.code,
    data: r.data && r.data.length > 0 ? toBase64(r.data) : null,
    log: r.log,
    info: "",
    gas_wanted: r.gasWanted.toString(),
    gas_used: r.gasUsed.toString(),
    events: r.events.map((e) => ({ type: e.type, attributes: e.attributes.map((a) => ({ key: a.key, value: a.value, index: a.index })) })),
    codespace: r.codespace,
  };
}

/** Result of `tx` and one entry of `tx_search`. */
export function txJson(t: TxRecord): object {
  return { hash: t.hash, height: String(t.height), index: t.index, tx_result: txResultJson(t.result), tx: toBase64(t.bytes) };
}

export interface StatusInput {
  readonly chainId: string;
  readonly listenAddr: string;
  readonly latest: BlockRecord;
  readonly earliest: BlockRecord;
}

/** Result of `status`: version "0.37.x" makes cosmjs pick its Tendermint37 client. */
export function statusJson(s: StatusInput): object {
  return {
    node_info: {
      protocol_version: { p2p: "8", block: "11", app: "0" },
      id: hexUpper(labelHash("node-id").slice(0, 20)).toLowerCase(),
      listen_addr: s.listenAddr,
      network: s.chainId,
      version: "0.37.4",
      channels: "40202122233038606100",
      moniker: "gate402-devnet",
      other: { tx_index: "on", rpc_address: s.listenAddr },
    },
    sync_info: {
      latest_block_hash: s.latest.hash,
      latest_app_hash: s.latest.appHash,
      latest_block_height: String(s.latest.height),
      latest_block_time: rfc3339Nanos(s.latest.timeMs),
      earliest_block_hash: s.earliest.hash,
      earliest_app_hash: s.earliest.appHash,
      earliest_block_height: String(s.earliest.height),
      earliest_block_time: rfc3339Nanos(s.earliest.timeMs),
      catching_up: false,
    },
    validator_info: {
      address: VALIDATOR_ADDRESS,
      pub_key: { type: "tendermint/PubKeyEd25519", value: toBase64(VALIDATOR_PUBKEY) },
      voting_power: VALIDATOR_POWER,
    },
  };
}
