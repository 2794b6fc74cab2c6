/**
 * The Neutaro devnet: a local single-validator chain speaking CometBFT 0.37 JSON-RPC over HTTP that
 * unmodified @cosmjs 0.39 clients (StargateClient, SigningStargateClient) accept, with real SIGN_MODE_DIRECT
 * / amino-json signature checks, SDK 0.47 bank events, a tx indexer and fault injection.
 */
export { startDevnet, DEFAULT_WALLET_BALANCE_MICRO, type Devnet, type DevnetOptions } from "./devnet.js";
export { type DevnetWallet, walletMnemonic } from "./wallets.js";
export { DevnetFaults, type FaultConfig, type FaultUpdate } from "./faults.js";
export { runDevnetCli } from "./cli.js";
export { moduleAddress } from "./util.js";
