/**
 * The commands `gate402 dev` prints so a person can exercise the stack it just started: a gRPC Check by
 * hand (buf curl or grpcurl through server reflection), the HTTP authorization modes with curl, and the
 * example agent paying on the devnet. Each entry is one shell command; test/e2e/dev-try-it.test.ts runs
 * them against a real dev stack.
 */
import { existsSync } from "node:fs";
import { dirname, isAbsolute, join, relative } from "node:path";
import { protoRoot } from "../transport/envoy/protos.js";

export interface TryItTarget {
  /** bound gRPC port on 127.0.0.1 */
  readonly grpcPort: number;
  /** http://127.0.0.1:<port> */
  readonly httpUrl: string;
  readonly rpcUrl: string;
  readonly chainId: string;
  /** a funded devnet wallet that pays in the agent example */
  readonly mnemonic: string;
}

export interface TryItCommand {
  /** what it shows, one line */
  readonly title: string;
  /** a POSIX shell command line */
  readonly command: string;
}

/** A CheckRequest as Envoy sends it, in protojson: an unpaid GET of a priced path. */
export const SAMPLE_CHECK_REQUEST = JSON.stringify({
  attributes: {
    request: {
      http: {
        method: "GET",
        host: "api.example.com",
        path: "/api/data",
        scheme: "http",
        headers: { ":authority": "api.example.com", ":method": "GET", ":path": "/api/data" },
      },
    },
  },
});

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** `path` relative to the working directory when it lies below it (shorter to copy), else absolute. */
function shortPath(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel && !rel.startsWith("..") && !isAbsolute(rel) ? rel : path;
}

/** The commands, in the order they make sense to a first-time user. */
export function tryItCommands(t: TryItTarget, cwd = process.cwd()): TryItCommand[] {
  const root = dirname(protoRoot());
  const buf = join(root, "node_modules", "@bufbuild", "buf-linux-x64", "bin", "buf");
  const agent = shortPath(join(root, "dist", "src", "client", "example-agent.js"), cwd);
  const out: TryItCommand[] = [];
  const check = "envoy.service.auth.v3.Authorization/Check";
  if (existsSync(buf)) {
    out.push({
      title: "gRPC Check as Envoy would send it (no schema needed: server reflection) → denied 402 with an invoice",
      command: `${shortPath(buf, cwd)} curl --protocol grpc --http2-prior-knowledge -d ${quote(SAMPLE_CHECK_REQUEST)} http://127.0.0.1:${t.grpcPort}/${check}`,
    });
  }
  out.push(
    {
      title: "the same with grpcurl, if you have it",
      command: `grpcurl -plaintext -d ${quote(SAMPLE_CHECK_REQUEST)} 127.0.0.1:${t.grpcPort} ${check}`,
    },
    {
      title: "HTTP forward-auth (Caddy, Traefik) → 402 with PAYMENT-REQUIRED and the JSON invoice",
      command: `curl -i -H 'X-Forwarded-Method: GET' -H 'X-Forwarded-Proto: http' -H 'X-Forwarded-Host: api.example.com' -H 'X-Forwarded-Uri: /api/data' ${t.httpUrl}/auth/forward`,
    },
    {
      title: "Envoy http_service / Istio envoyExtAuthzHttp mode → 402",
      command: `curl -i ${t.httpUrl}/ext-authz/api/data`,
    },
    {
      title: "an agent (gate402/client) that pays on the devnet and gets 200s",
      command: `GATE402_URL=${t.httpUrl}/ext-authz/api/data RPC=${t.rpcUrl} CHAIN_ID=${t.chainId} MNEMONIC=${quote(t.mnemonic)} CALLS=3 STATE_FILE=$(mktemp -d)/agent.json node ${agent}`,
    },
  );
  return out;
}
