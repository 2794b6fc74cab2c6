/**
 * HTTP transport of the devnet RPC: POST / with a JSON-RPC 2.0 request (or a batch array), and
 * GET /<method>?arg=value (CometBFT URI style; string args may be quoted). Applies the request faults.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Logger } from "pino";
import { adminMethods } from "./rpc-admin.js";
import { infoMethods } from "./rpc-info.js";
import { txMethods } from "./rpc-tx.js";
import { RpcError, internalError, type Handler, type Params, type RpcNode } from "./rpc.js";

const MAX_BODY_BYTES = 10 * 1024 * 1024;
const methods: Record<string, Handler> = { ...infoMethods, ...txMethods, ...adminMethods };

interface RpcRequest {
  readonly id: unknown;
  readonly method: string;
  readonly params: Params;
}

type Outcome = { kind: "answer"; status: number; body: string } | { kind: "drop" };

async function call(node: RpcNode, req: RpcRequest, log?: Logger): Promise<object> {
  const handler = Object.hasOwn(methods, req.method) ? methods[req.method] : undefined;
  try {
    if (!handler) throw new RpcError(-32601, "Method not found", req.method);
    return { jsonrpc: "2.0", id: req.id, result: await handler(node, req.params) };
  } catch (e) {
    const err = e instanceof RpcError ? e : internalError(e instanceof Error ? e.message : String(e));
    if (!(e instanceof RpcError)) log?.error({ err: e, method: req.method }, "devnet rpc handler failed");
    return { jsonrpc: "2.0", id: req.id, error: { code: err.code, message: err.rpcMessage, data: err.data } };
  }
}

function sleep(ms: number, timers: Set<NodeJS.Timeout>): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      timers.delete(t);
      resolve();
    }, ms);
    timers.add(t);
  });
}

/** Applies faults for the request's methods, then answers. */
async function answer(node: RpcNode, reqs: RpcRequest[], batch: boolean, timers: Set<NodeJS.Timeout>, log?: Logger): Promise<Outcome> {
  const f = node.faults.current;
  const faulted = reqs.some((r) => node.faults.appliesTo(r.method));
  if (faulted && f.stallMs > 0) await sleep(f.stallMs, timers);
  if (faulted && f.drop) return { kind: "drop" };
  if (faulted && f.garbage) return { kind: "answer", status: 200, body: '{"jsonrpc":"2.0","result":<<garbage' };
  if (faulted && f.error !== "none") {
    const error = { code: -32603, message: "Internal error", data: "devnet fault injection: service unavailable" };
    const body = JSON.stringify({ jsonrpc: "2.0", id: reqs[0]?.id ?? -1, error });
    return { kind: "answer", status: f.error === "http500" ? 500 : 200, body };
  }
  const results = [];
  for (const r of reqs) results.push(await call(node, r, log));
  return { kind: "answer", status: 200, body: JSON.stringify(batch ? results : results[0]) };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) reject(new Error("request body too large"));
      else chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function toRequest(raw: unknown): RpcRequest {
  const o = (typeof raw === "object" && raw !== null ? raw : {}) as Record<string, unknown>;
  const params = typeof o.params === "object" && o.params !== null && !Array.isArray(o.params) ? (o.params as Params) : {};
  return { id: o.id ?? -1, method: typeof o.method === "string" ? o.method : "", params };
}

/** CometBFT URI params: `?height=5&hash=0xABCD&query="tx.height=5"`; quotes around strings are stripped. */
function fromUri(url: URL): RpcRequest {
  const params: Record<string, string> = {};
  for (const [k, v] of url.searchParams) params[k] = /^".*"$/s.test(v) ? v.slice(1, -1) : v;
  return { id: -1, method: url.pathname.slice(1), params };
}

async function parse(req: IncomingMessage): Promise<{ reqs: RpcRequest[]; batch: boolean }> {
  if (req.method === "GET") return { reqs: [fromUri(new URL(req.url ?? "/", "http://devnet"))], batch: false };
  const text = await readBody(req);
  const json: unknown = JSON.parse(text);
  return Array.isArray(json) ? { reqs: json.map(toRequest), batch: true } : { reqs: [toRequest(json)], batch: false };
}

async function handle(node: RpcNode, req: IncomingMessage, res: ServerResponse, timers: Set<NodeJS.Timeout>, log?: Logger): Promise<void> {
  let parsed;
  try {
    parsed = await parse(req);
  } catch (e) {
    const error = { code: -32700, message: "Parse error", data: e instanceof Error ? e.message : "invalid JSON" };
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ jsonrpc: "2.0", id: -1, error }));
    return;
  }
  const out = await answer(node, parsed.reqs, parsed.batch, timers, log);
  if (out.kind === "drop") {
    req.socket.destroy();
    return;
  }
  if (!res.destroyed) res.writeHead(out.status, { "content-type": "application/json" }).end(out.body);
}

/** A started RPC server and its shutdown. */
export interface RpcServer {
  readonly server: Server;
  close(): Promise<void>;
}

/** Creates the HTTP server (not yet listening). */
export function createRpcServer(node: RpcNode, log?: Logger): RpcServer {
  const timers = new Set<NodeJS.Timeout>();
  const server = createServer((req, res) => {
    handle(node, req, res, timers, log).catch((err: unknown) => {
      log?.error({ err }, "devnet request failed");
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  server.keepAliveTimeout = 5_000;
  const close = (): Promise<void> =>
    new Promise((resolve) => {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return { server, close };
}
