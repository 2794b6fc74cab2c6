/**
 * The Neutaro devnet: a local single-validator chain speaking CometBFT 0.37 JSON-RPC over HTTP that
 * unmodified @cosmjs 0.39 clients (StargateClient, SigningStargateClient) accept, with real SIGN_MODE_DIRECT
 * / amino-json signature checks, SDK 0.47 bank events, a tx indexer and fault injection.
 *
 * - Wallet N: its own 24-word mnemonic (entropy sha256("gate402-devnet-wallet-N")), address at
 *   m/44'/118'/0'/0/0 with prefix "neutaro", funded with 1,000,000,000,000 uneutaro at genesis.
 * - Block 1 is committed at start; blockTimeMs 0 = manual mode (produceBlock()). Every block takes
 *   the whole mempool.
 * - Min gas price 0.025uneutaro; gas model: 30 000 + 10/tx byte + 1 000/signature + 25 000/message
 *   (+8 000 per MultiSend output). Fees go to the fee_collector module account.
 * - Admin JSON-RPC: devnet_fault, devnet_fund, devnet_produce_block (see rpc-admin.ts).
 */
export { startDevnet, DEFAULT_WALLET_BALANCE_MICRO, type Devnet, type DevnetOptions } from "./devnet.js";
export { type DevnetWallet, walletMnemonic } from "./wallets.js";
export { DevnetFaults, type FaultConfig, type FaultUpdate } from "./faults.js";
export { runDevnetCli } from "./cli.js";
export { moduleAddress } from "./util.js";
