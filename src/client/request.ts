/**
 * Request plumbing with web APIs only: buffer a request so it can be sent twice (the retry resends the
 * body), name it for idempotency, and read a hostile 402 body with a size bound.
 */
import { PolicyViolationError } from "./errors.js";

/** fetch's init plus a caller-chosen idempotency key (two calls with the same key are one request). */
export interface PaidRequestInit extends RequestInit {
  readonly idempotencyKey?: string;
}

/** A request whose body lives in memory, ready to be sent again. */
export interface BufferedRequest {
  /** absolute URL */
  readonly url: string;
  /** uppercase */
  readonly method: string;
  readonly headers: Headers;
  readonly body?: Uint8Array;
  /** the rest of the caller's init (signal, redirect, credentials, …) */
  readonly rest: RequestInit;
  /** `<METHOD> <URL>[ #<idempotencyKey>]`: receipts are filed under it */
  readonly key: string;
}

/** Upper bound on a 402 body we parse; bigger is refused as MALFORMED_INVOICE. */
export const MAX_402_BODY_BYTES = 64 * 1024;

/**
 * Normalises input+init the way fetch would (absolute URL, method, content-type for string/form bodies)
 * and reads the body into memory once.
 */
export async function bufferRequest(input: RequestInfo | URL, init?: PaidRequestInit): Promise<BufferedRequest> {
  const { idempotencyKey, body: _body, headers: _headers, method: _method, ...rest } = init ?? {};
  // A stream body needs duplex "half" to be accepted by the Request constructor (WHATWG fetch).
  const req = new Request(input, init?.body instanceof ReadableStream ? ({ ...init, duplex: "half" } as RequestInit) : init);
  const body = req.body ? new Uint8Array(await req.arrayBuffer()) : undefined;
  const method = req.method.toUpperCase();
  const key = `${method} ${req.url}${idempotencyKey ? ` #${idempotencyKey}` : ""}`;
  const signal = init?.signal ?? (input instanceof Request ? input.signal : undefined);
  return { url: req.url, method, headers: new Headers(req.headers), body, rest: { ...rest, ...(signal && { signal }) }, key };
}

/** RequestInit for one attempt: the buffered request plus extra headers (proof, credentials). */
export function attempt(req: BufferedRequest, extra: Record<string, string> = {}): RequestInit {
  const headers = new Headers(req.headers);
  for (const [k, v] of Object.entries(extra)) headers.set(k, v);
  return { ...req.rest, method: req.method, headers, ...(req.body && { body: req.body.slice() }) };
}

/**
 * Reads a response body as JSON with a byte bound.
 * @returns parsed JSON, or undefined when the body is empty or not JSON
 * @throws PolicyViolationError MALFORMED_INVOICE when larger than `maxBytes`
 */
export async function readJsonBounded(res: Response, maxBytes = MAX_402_BODY_BYTES): Promise<unknown> {
  if (!res.body) return undefined;
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw new PolicyViolationError("MALFORMED_INVOICE", `402 body larger than ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.byteLength;
  }
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return undefined;
  }
}

/** Drains and discards a body so the connection can be reused. */
export async function discard(res: Response): Promise<void> {
  await res.body?.cancel().catch(() => undefined);
}
