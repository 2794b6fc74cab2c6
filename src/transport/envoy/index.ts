/** The Envoy ext_authz v3 gRPC adapter: CheckRequest → RequestFacts → (core) → CheckResponse. */
export { createExtAuthzServer, invalidRequestDecision } from "./server.js";
export type { ExtAuthzServer, ExtAuthzServerOptions } from "./server.js";
export { InvalidCheckRequestError, toRequestFacts } from "./request.js";
export { toCheckResponse, httpStatusName, rpcCodeForDeny, RPC_CODE } from "./response.js";
export { loadExtAuthzPackage, protoRoot, LOADER_OPTIONS } from "./protos.js";
export type * from "./types.js";
