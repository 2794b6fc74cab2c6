/**
 * gate402/x402: the Cosmos `exact` x402 scheme for @x402/core — the client scheme (pay with a signed
 * MsgSend) and the resource-server scheme (gate402 as facilitator). @x402/core is a peer dependency
 * (types only).
 */
export {
  ExactCosmosScheme,
  registerExactCosmosScheme,
  type ExactCosmosSchemeOptions,
  type RegisterExactCosmosOptions,
} from "./client-scheme.js";
export { ExactCosmosServerScheme, type ExactCosmosServerOptions } from "./server-scheme.js";
export { newPaymentMemo, memoIssuedAt } from "./memo.js";
