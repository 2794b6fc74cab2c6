/**
 * Decision → CheckResponse (per Envoy external_auth.proto), as a plain object our proto-loader
 * options encode (snake_case fields, enum names; see protos.ts).
 */
import { RPC_CODE, rpcCodeNameForDeny } from "../../core/catalogue.js";
import type { AllowDecision, Decision, DenyDecision } from "../../core/decision.js";
import type { CheckResponse, HeaderValueOption, ProtoStruct } from "./types.js";

export { RPC_CODE } from "../../core/catalogue.js";

/** envoy.type.v3.StatusCode names for the statuses a gate can return (per http_status.proto). */
const HTTP_STATUS_NAME: Readonly<Record<number, string>> = {
  400: "BadRequest",
  401: "Unauthorized",
  402: "PaymentRequired",
  403: "Forbidden",
  404: "NotFound",
  405: "MethodNotAllowed",
  408: "RequestTimeout",
  409: "Conflict",
  413: "PayloadTooLarge",
  422: "UnprocessableEntity",
  429: "TooManyRequests",
  431: "RequestHeaderFieldsTooLarge",
  500: "InternalServerError",
  502: "BadGateway",
  503: "ServiceUnavailable",
  504: "GatewayTimeout",
};

/** The envoy.type.v3.StatusCode name of an HTTP status, e.g. 402 → "PaymentRequired"; 403 if unknown. */
export function httpStatusName(status: number): string {
  return HTTP_STATUS_NAME[status] ?? "Forbidden";
}

/** The google.rpc code Envoy sees for a denied HTTP status: 401→16, 429→8, 503→14, else 7 (src/core/catalogue.ts). */
export function rpcCodeForDeny(status: number): number {
  return RPC_CODE[rpcCodeNameForDeny(status)];
}

/** Renders a decision: allow → status 0 + ok_response; deny → denied_response with a JSON body. */
export function toCheckResponse(decision: Decision): CheckResponse {
  return decision.kind === "allow" ? allowResponse(decision) : denyResponse(decision);
}

function allowResponse(d: AllowDecision): CheckResponse {
  return {
    status: { code: RPC_CODE.OK, message: "" },
    ok_response: {
      headers: headerOptions(d.upstreamHeaders),
      headers_to_remove: d.headersToRemove.map((h) => h.toLowerCase()),
      response_headers_to_add: headerOptions(d.responseHeaders),
    },
    dynamic_metadata: struct({ decision_id: d.decisionId, method: d.method, route: d.routeId }),
  };
}

function denyResponse(d: DenyDecision): CheckResponse {
  // Our content-type first; a decision header with the same name (any case) replaces it.
  const headers: Record<string, string> = { "content-type": "application/json" };
  for (const [key, value] of Object.entries(d.headers)) {
    if (key.toLowerCase() === "content-type") delete headers["content-type"];
    headers[key] = value;
  }
  return {
    status: { code: rpcCodeForDeny(d.status), message: d.reason },
    denied_response: {
      status: { code: httpStatusName(d.status) },
      headers: headerOptions(headers),
      body: JSON.stringify(d.body),
    },
    dynamic_metadata: struct({ decision_id: d.decisionId, reason: d.reason }),
  };
}

/** One HeaderValueOption per header, replacing any existing value (OVERWRITE_IF_EXISTS_OR_ADD). */
function headerOptions(headers: Readonly<Record<string, string>>): HeaderValueOption[] {
  return Object.entries(headers).map(([key, value]) => ({
    header: { key, value },
    append_action: "OVERWRITE_IF_EXISTS_OR_ADD",
  }));
}

/** google.protobuf.Struct of string values. */
function struct(values: Record<string, string>): ProtoStruct {
  const fields: ProtoStruct["fields"] = {};
  for (const [key, value] of Object.entries(values)) fields[key] = { stringValue: value };
  return { fields };
}
