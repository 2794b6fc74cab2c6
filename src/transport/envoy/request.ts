/**
 * CheckRequest → RequestFacts (per Envoy external_auth.proto / attribute_context.proto), in the
 * object form our proto-loader options decode (snake_case, defaults on; see protos.ts). The input
 * is untrusted: every field is checked by hand-written guards, never cast.
 */
import type { RequestFacts } from "../../core/facts.js";
import { stripQuery } from "../../core/path.js";

/** The CheckRequest cannot be turned into RequestFacts; rendered as a 400 INVALID_REQUEST deny. */
export class InvalidCheckRequestError extends Error {
  override readonly name = "InvalidCheckRequestError";
  /** human-readable problems, e.g. "attributes.request.http: missing" */
  readonly issues: readonly string[];
  constructor(issues: readonly string[]) {
    super(`invalid CheckRequest: ${issues.join("; ")}`);
    this.issues = issues;
  }
}

// Hand-written guards instead of a schema library: this runs on every Check (issue #17 "a cheap 402").
// They accept exactly what the proto-loader decoding can produce — strings, maps of strings, byte
// arrays, null or absent for unset messages — and name the first field that is anything else.

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

class Issues {
  readonly list: string[] = [];
  /** an optional string: undefined when null/absent */
  text(o: Obj, key: string, at: string): string | undefined {
    const v = o[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v === "string") return v;
    this.list.push(`${at}.${key}: expected string`);
    return undefined;
  }
  /** an optional message: undefined when null/absent */
  obj(o: Obj, key: string, at: string): Obj | undefined {
    const v = o[key];
    if (v === undefined || v === null) return undefined;
    if (isObj(v)) return v;
    this.list.push(`${at}.${key}: expected object`);
    return undefined;
  }
  /** an optional map<string, string> */
  map(o: Obj, key: string, at: string): Obj | undefined {
    const m = this.obj(o, key, at);
    if (!m) return undefined;
    for (const k in m) {
      if (typeof m[k] !== "string") {
        this.list.push(`${at}.${key}.${k.slice(0, 64)}: expected string`);
        return undefined;
      }
    }
    return m;
  }
}

interface HeaderValue {
  key: string;
  value?: string;
  raw_value?: Uint8Array;
}
interface HttpRequest {
  id?: string;
  method?: string;
  path?: string;
  host?: string;
  scheme?: string;
  headers?: Readonly<Record<string, string>>;
  header_map?: readonly HeaderValue[];
}
interface Socket {
  address?: string;
  port_value?: number;
}

function readHttp(raw: Obj, is: Issues): HttpRequest {
  const at = "attributes.request.http";
  const http: HttpRequest = {
    id: is.text(raw, "id", at),
    method: is.text(raw, "method", at),
    path: is.text(raw, "path", at),
    host: is.text(raw, "host", at),
    scheme: is.text(raw, "scheme", at),
    headers: is.map(raw, "headers", at) as Record<string, string> | undefined,
  };
  const hm = is.obj(raw, "header_map", at);
  const list = hm?.["headers"];
  if (list !== undefined && list !== null) {
    if (!Array.isArray(list)) is.list.push(`${at}.header_map.headers: expected array`);
    else {
      const out: HeaderValue[] = [];
      for (const [i, h] of list.entries()) {
        const where = `${at}.header_map.headers.${i}`;
        if (!isObj(h) || typeof h["key"] !== "string") {
          is.list.push(`${where}.key: expected string`);
          break;
        }
        const rv = h["raw_value"];
        if (rv !== undefined && rv !== null && !(rv instanceof Uint8Array)) {
          is.list.push(`${where}.raw_value: expected bytes`);
          break;
        }
        out.push({ key: h["key"], value: is.text(h, "value", where), raw_value: rv ?? undefined });
      }
      http.header_map = out;
    }
  }
  return http;
}

function readSocket(attributes: Obj, is: Issues): Socket | undefined {
  const at = "attributes.source";
  const socket = is.obj(is.obj(is.obj(attributes, "source", "attributes") ?? {}, "address", at) ?? {}, "socket_address", `${at}.address`);
  if (!socket) return undefined;
  const port = socket["port_value"];
  if (port !== undefined && port !== null && !(Number.isSafeInteger(port) && (port as number) >= 0)) {
    is.list.push(`${at}.address.socket_address.port_value: expected a non-negative integer`);
  }
  return { address: is.text(socket, "address", `${at}.address.socket_address`), port_value: typeof port === "number" ? port : undefined };
}

/**
 * Extracts the facts the decision core needs from a decoded CheckRequest.
 * @returns RequestFacts with transport "grpc": method uppercased, host from `http.host` (else
 *   `:authority`/`host`), path without query, lowercased header names, context_extensions ({} if none),
 *   source "ip:port", requestId from `http.id` (else x-request-id).
 * @throws InvalidCheckRequestError when attributes.request.http, the method or the path is missing.
 */
export function toRequestFacts(message: unknown): RequestFacts {
  if (!isObj(message)) throw new InvalidCheckRequestError(["message: expected object"]);
  const attributes = message["attributes"];
  if (!isObj(attributes)) throw new InvalidCheckRequestError(["attributes: expected object"]);
  const is = new Issues();
  const rawHttp = is.obj(is.obj(attributes, "request", "attributes") ?? {}, "http", "attributes.request");
  const http = rawHttp ? readHttp(rawHttp, is) : undefined;
  const source = readSocket(attributes, is);
  const contextExtensions = is.map(attributes, "context_extensions", "attributes") as Record<string, string> | undefined;
  if (is.list.length > 0) throw new InvalidCheckRequestError(is.list);
  if (!http) throw new InvalidCheckRequestError(["attributes.request.http: missing"]);

  const headers = headersOf(http);
  const method = (http.method || headers[":method"] || "").toUpperCase();
  const pathWithQuery = http.path || headers[":path"] || "";
  const problems = [
    ...(method ? [] : ["attributes.request.http.method: missing"]),
    ...(pathWithQuery ? [] : ["attributes.request.http.path: missing"]),
  ];
  if (problems.length > 0) throw new InvalidCheckRequestError(problems);

  const sourceAddress = addressOf(source);
  const requestId = http.id || headers["x-request-id"];
  return {
    transport: "grpc",
    method,
    host: http.host || headers[":authority"] || headers["host"] || "",
    path: stripQuery(pathWithQuery),
    pathWithQuery,
    scheme: (http.scheme || headers[":scheme"] || headers["x-forwarded-proto"] || "http").toLowerCase(),
    headers,
    contextExtensions: copyRecord(contextExtensions ?? {}),
    ...(sourceAddress ? { sourceAddress } : {}),
    ...(requestId ? { requestId } : {}),
  };
}

/**
 * Request headers with lowercased names. Uses the `headers` map; when it is empty, the newer
 * `header_map` list (values from `value`, else UTF-8 `raw_value`), joining repeats with "," as
 * Envoy does for the map form.
 */
function headersOf(http: HttpRequest): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  const map = http.headers ?? {};
  let any = false;
  for (const key in map) {
    out[key.toLowerCase()] = map[key]!;
    any = true;
  }
  if (any) return out;
  const decoder = new TextDecoder();
  for (const h of http.header_map ?? []) {
    const key = h.key.toLowerCase();
    const value = h.value || (h.raw_value ? decoder.decode(h.raw_value) : "");
    out[key] = key in out ? `${out[key]},${value}` : value;
  }
  return out;
}

/** "ip:port" ("[v6]:port") from a socket address; "ip" when no port; undefined for pipes/none. */
function addressOf(socket: Socket | undefined): string | undefined {
  if (!socket?.address) return undefined;
  if (!socket.port_value) return socket.address;
  const host = socket.address.includes(":") ? `[${socket.address}]` : socket.address;
  return `${host}:${socket.port_value}`;
}

/** Plain copy without prototype, so keys such as "__proto__" stay data. */
function copyRecord(input: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  for (const [key, value] of Object.entries(input)) out[key] = value;
  return out;
}
