/**
 * CheckRequest → RequestFacts (per Envoy external_auth.proto / attribute_context.proto), in the
 * object form our proto-loader options decode (snake_case, defaults on; see protos.ts). The input
 * is untrusted: it is parsed with a schema, never cast.
 */
import { z } from "zod";
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

const text = z.string().nullish();
const stringMap = z.record(z.string(), z.string()).nullish();

const headerValue = z.object({
  key: z.string(),
  value: text,
  raw_value: z.instanceof(Uint8Array).nullish(),
});

const httpRequest = z.object({
  id: text,
  method: text,
  headers: stringMap,
  header_map: z.object({ headers: z.array(headerValue).nullish() }).nullish(),
  path: text,
  host: text,
  scheme: text,
});

const peer = z
  .object({
    address: z
      .object({
        socket_address: z
          .object({ address: text, port_value: z.number().int().nonnegative().nullish() })
          .nullish(),
      })
      .nullish(),
  })
  .nullish();

const checkRequest = z.object({
  attributes: z.object({
    source: peer,
    request: z.object({ http: httpRequest.nullish() }).nullish(),
    context_extensions: stringMap,
  }),
});

type HttpRequest = z.infer<typeof httpRequest>;
type Peer = z.infer<typeof peer>;

/**
 * Extracts the facts the decision core needs from a decoded CheckRequest.
 * @returns RequestFacts with transport "grpc": method uppercased, host from `http.host` (else
 *   `:authority`/`host`), path without query, lowercased header names, context_extensions ({} if none),
 *   source "ip:port", requestId from `http.id` (else x-request-id).
 * @throws InvalidCheckRequestError when attributes.request.http, the method or the path is missing.
 */
export function toRequestFacts(message: unknown): RequestFacts {
  const parsed = checkRequest.safeParse(message);
  if (!parsed.success) {
    throw new InvalidCheckRequestError(
      parsed.error.issues.map((i) => `${i.path.join(".") || "message"}: ${i.message}`),
    );
  }
  const { attributes } = parsed.data;
  const http = attributes.request?.http;
  if (!http) throw new InvalidCheckRequestError(["attributes.request.http: missing"]);

  const headers = headersOf(http);
  const method = (http.method || headers[":method"] || "").toUpperCase();
  const pathWithQuery = http.path || headers[":path"] || "";
  const problems = [
    ...(method ? [] : ["attributes.request.http.method: missing"]),
    ...(pathWithQuery ? [] : ["attributes.request.http.path: missing"]),
  ];
  if (problems.length > 0) throw new InvalidCheckRequestError(problems);

  const sourceAddress = addressOf(attributes.source);
  const requestId = http.id || headers["x-request-id"];
  return {
    transport: "grpc",
    method,
    host: http.host || headers[":authority"] || headers["host"] || "",
    path: stripQuery(pathWithQuery),
    pathWithQuery,
    scheme: (http.scheme || headers[":scheme"] || headers["x-forwarded-proto"] || "http").toLowerCase(),
    headers,
    contextExtensions: copyRecord(attributes.context_extensions ?? {}),
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
  if (Object.keys(map).length > 0) {
    for (const [key, value] of Object.entries(map)) out[key.toLowerCase()] = value;
    return out;
  }
  const decoder = new TextDecoder();
  for (const h of http.header_map?.headers ?? []) {
    const key = h.key.toLowerCase();
    const value = h.value || (h.raw_value ? decoder.decode(h.raw_value) : "");
    out[key] = key in out ? `${out[key]},${value}` : value;
  }
  return out;
}

/** "ip:port" ("[v6]:port") from a socket address; "ip" when no port; undefined for pipes/none. */
function addressOf(source: Peer): string | undefined {
  const socket = source?.address?.socket_address;
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
