/**
 * A tiny "resource server" that behaves like Envoy in front of an API: for every HTTP request it asks
 * gate402 over gRPC Check and renders the decision (deny → status + headers + body; allow → 200 JSON
 * echoing the request, plus the response headers gate402 added). For client SDK end-to-end tests.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { checkClient, type ExtAuthzClient } from "./extauthz-client.js";
import { deniedHeaders, envoyCheck, httpStatus, okResponseHeaders } from "./check-request.js";

export interface PaidResource {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  /** requests seen, in order: method, path, proof header, body */
  readonly seen: { method: string; path: string; proof?: string; paymentSignature?: string; clientId?: string; body: string }[];
  close(): Promise<void>;
}

/**
 * @param grpcAddress "127.0.0.1:<gate402 gRPC port>"
 * @param httpApi gate402's HTTP API base URL: /prepaid/* is proxied there unauthenticated, as an Envoy
 *   route to gate402 would
 */
export async function startPaidResource(grpcAddress: string, httpApi?: string): Promise<PaidResource> {
  const client: ExtAuthzClient = checkClient(grpcAddress);
  const seen: PaidResource["seen"] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const body = Buffer.concat(chunks).toString("utf8");
      if (httpApi && req.url!.startsWith("/prepaid/")) {
        const upstream = await fetch(`${httpApi}${req.url}`, {
          method: req.method!,
          headers: { "content-type": req.headers["content-type"] ?? "application/json" },
          ...(body && { body }),
        });
        res.writeHead(upstream.status, { "content-type": upstream.headers.get("content-type") ?? "application/json" });
        res.end(await upstream.text());
        return;
      }
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers[k] = v;
      seen.push({
        method: req.method!,
        path: req.url!,
        proof: headers["x-payment-proof"],
        paymentSignature: headers["payment-signature"],
        clientId: headers["x-client-id"],
        body,
      });
      try {
        const decision = await client.check(
          envoyCheck({ method: req.method!, path: req.url!, host: headers["host"] ?? "127.0.0.1", scheme: "http", headers }),
        );
        const status = httpStatus(decision);
        if (status !== 200) {
          res.writeHead(status, deniedHeaders(decision));
          res.end(String((decision.denied_response as { body?: string } | null)?.body ?? ""));
          return;
        }
        res.writeHead(200, { "content-type": "application/json", ...okResponseHeaders(decision) });
        res.end(JSON.stringify({ ok: true, method: req.method, path: req.url, body }));
      } catch (err) {
        res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: "CHECK_FAILED", message: String(err) }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: async () => {
      client.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
