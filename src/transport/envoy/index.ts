/** The Envoy ext_authz v3 gRPC adapter: CheckRequest → RequestFacts → (core) → CheckResponse. */
export { createExtAuthzServer, invalidRequestDecision } from "./server.js";
export type { ExtAuthzServer, ExtAuthzServerOptions, GrpcServiceHandlers } from "./server.js";
export { accessLogHandlers, accessLogService, loggedResponses, toLoggedResponse, EXT_AUTHZ_NAMESPACE } from "./access-log.js";
export type { AccessLogService, AccessLogSink, LoggedResponse } from "./access-log.js";
export { InvalidCheckRequestError, toRequestFacts } from "./request.js";
export { toCheckResponse, httpStatusName, rpcCodeForDeny, RPC_CODE } from "./response.js";
export { loadExtAuthzPackage, protoRoot, LOADER_OPTIONS } from "./protos.js";
export type * from "./types.js";
