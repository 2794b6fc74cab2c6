/** Builders for client SDK tests: fake 402 servers, spy payers, offers with overrides. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { randomBytes } from "node:crypto";
import { toBech32 } from "@cosmjs/encoding";
import type { Payer, PaymentOrder } from "../../src/client/index.js";

export const NETWORK = "cosmos:Neutaro-1";
export const address = (): string => toBech32("neutaro", randomBytes(20));
export const txHash = (): string => randomBytes(32).toString("hex").toUpperCase();
export const invoiceId = (): string => `W${randomBytes(24).toString("base64url")}.${randomBytes(16).toString("base64url")}`;
export const b64 = (v: unknown): string => Buffer.from(typeof v === "string" ? v : JSON.stringify(v)).toString("base64");

export interface SpyPayer extends Payer {
  readonly calls: PaymentOrder[];
}

/** Records every order and returns a fresh hash (or runs `impl`). */
export function spyPayer(impl?: (o: PaymentOrder) => Promise<{ txHash: string }>): SpyPayer {
  const calls: PaymentOrder[] = [];
  return {
    calls,
    async pay(o) {
      calls.push(o);
      return impl ? impl(o) : { txHash: txHash() };
    },
  };
}

/** An x402 v2 accepts entry for our network, with overrides. */
export function v2Offer(o: Record<string, unknown> = {}): Record<string, unknown> {
  const id = invoiceId();
  return {
    scheme: "exact",
    network: NETWORK,
    amount: "1000",
    asset: "uneutaro",
    payTo: address(),
    maxTimeoutSeconds: 300,
    extra: { invoiceId: id, memo: id, decimals: 6 },
    ...o,
  };
}

/** The full gate402-style 402 for one offer: v2 header, v1 accepts and ClawPurse payment in the body. */
export function gate402Answer(offer = v2Offer()): { headers: Record<string, string>; body: Record<string, unknown> } {
  const extra = offer["extra"] as { invoiceId: string; memo: string };
  const amountMicro = String(offer["amount"]);
  return {
    headers: {
      "content-type": "application/json",
      "payment-required": b64({ x402Version: 2, error: "Payment required", resource: { url: "http://x/" }, accepts: [offer] }),
    },
    body: {
      error: "PAYMENT_REQUIRED",
      payment: {
        invoiceId: extra.invoiceId,
        memo: extra.memo,
        amountMicro,
        denom: offer["asset"],
        address: offer["payTo"],
        network: offer["network"],
      },
      x402Version: 1,
      accepts: [{ ...offer, amount: undefined, maxAmountRequired: amountMicro }],
    },
  };
}

export type Handler = (req: IncomingMessage & { body: string }, res: ServerResponse) => void;

export interface FakeServer {
  readonly url: string;
  readonly requests: { method: string; url: string; headers: Record<string, string | string[] | undefined>; body: string }[];
  close(): Promise<void>;
}

/** An HTTP server on 127.0.0.1 whose every answer comes from `handler`. */
export async function fakeServer(handler: Handler): Promise<FakeServer> {
  const requests: FakeServer["requests"] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      requests.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      handler(Object.assign(req, { body }), res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Serves a fixed 402 to requests without a proof, and 200 to requests with one. */
export function payOnce(answer: { headers: Record<string, string>; body: unknown }, raw?: string): Handler {
  return (req, res) => {
    if (req.headers["x-payment-proof"] || req.headers["payment-signature"]) {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ ok: true, body: req.body }));
      return;
    }
    res.writeHead(402, answer.headers);
    res.end(raw ?? JSON.stringify(answer.body));
  };
}
