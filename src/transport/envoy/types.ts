/**
 * Plain-object shapes of the ext_authz messages as our proto-loader options produce and accept them
 * (snake_case fields, enums as names, int64 as string; see protos.ts). Per Envoy external_auth.proto.
 * Incoming messages are untyped input: request.ts parses them with a schema instead of trusting these.
 */

/**
 * google.protobuf.Value / Struct as protobufjs objects. Note: camelCase even with keepCase, because
 * protobufjs' bundled well-known types are defined with camelCase field names.
 */
export type ProtoValue =
  | { nullValue: "NULL_VALUE" }
  | { numberValue: number }
  | { stringValue: string }
  | { boolValue: boolean }
  | { structValue: ProtoStruct }
  | { listValue: { values: ProtoValue[] } };

export interface ProtoStruct {
  fields: Record<string, ProtoValue>;
}

export type HeaderAppendAction = "APPEND_IF_EXISTS_OR_ADD" | "ADD_IF_ABSENT" | "OVERWRITE_IF_EXISTS_OR_ADD" | "OVERWRITE_IF_EXISTS";

/** envoy.config.core.v3.HeaderValueOption (only the fields we set). */
export interface HeaderValueOption {
  header: { key: string; value: string };
  append_action: HeaderAppendAction;
}

export interface OkHttpResponse {
  headers: HeaderValueOption[];
  headers_to_remove: string[];
  response_headers_to_add: HeaderValueOption[];
}

export interface DeniedHttpResponse {
  /** envoy.type.v3.StatusCode enum name, e.g. "PaymentRequired" */
  status: { code: string };
  headers: HeaderValueOption[];
  body: string;
}

/** envoy.service.auth.v3.CheckResponse as we build it. */
export interface CheckResponse {
  /** google.rpc.Status; code 0 allows */
  status: { code: number; message: string };
  ok_response?: OkHttpResponse;
  denied_response?: DeniedHttpResponse;
  dynamic_metadata: ProtoStruct;
}

/** envoy.service.auth.v3.CheckResponse as a proto-loader client decodes it (defaults on). */
export interface DecodedCheckResponse {
  status: { code: number; message: string } | null;
  http_response?: "ok_response" | "denied_response";
  ok_response: (OkHttpResponse & Record<string, unknown>) | null;
  denied_response: (DeniedHttpResponse & Record<string, unknown>) | null;
  dynamic_metadata: ProtoStruct | null;
}

/** grpc.health.v1.HealthCheckResponse.ServingStatus */
export type ServingStatus = "UNKNOWN" | "SERVING" | "NOT_SERVING" | "SERVICE_UNKNOWN";
