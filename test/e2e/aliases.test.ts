/**
 * One price for every alias of a route, and the same 400 for the same bad input, on every transport:
 * gRPC Check, `/auth/forward` (Caddy/Traefik shape) and `/ext-authz/*` (Envoy http_service shape).
 * The alias list is the one a hostile agent used against the first release.
 */
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkClient, type ExtAuthzClient } from "../support/extauthz-client.js";
import { deniedBody, envoyCheck, httpStatus } from "../support/check-request.js";
import { rawRequest } from "../support/http-request.js";
import { startStack, type Stack } from "../support/stack.js";

let stack: Stack;
let grpc: ExtAuthzClient;
beforeAll(async () => {
  stack = await startStack({ env: { GATEWAY_ROUTES: "/api/expensive=1.0,/api/premium/*=1.0", GATEWAY_DEFAULT_PRICE: "0.001" } });
  grpc = checkClient(`127.0.0.1:${stack.gw.grpcPort}`);
});
afterAll(async () => {
  grpc?.close();
  await stack?.stop();
});

interface Answer {
  status: number;
  body: any;
}
type Ask = (method: string, target: string, headers?: Record<string, string>, host?: string) => Promise<Answer>;

const TRANSPORTS: Record<string, Ask> = {
  grpc: async (method, target, headers = {}, host) => {
    const res = await grpc.check(envoyCheck({ method, path: target, headers, ...(host !== undefined && { host }) }));
    const status = httpStatus(res);
    return { status, body: status === 200 ? undefined : deniedBody(res) };
  },
  "forward-auth": async (method, target, headers = {}, host = "api.example.com") => {
    const res = await rawRequest({
      port: stack.gw.httpPort,
      path: "/auth/forward",
      headers: {
        "x-forwarded-method": method,
        "x-forwarded-uri": target,
        "x-forwarded-host": host,
        "x-forwarded-proto": "https",
        ...headers,
      },
    });
    return { status: res.status, body: res.body ? res.json() : undefined };
  },
  "ext-authz": async (method, target, headers = {}, host = "api.example.com") => {
    const res = await rawRequest({
      port: stack.gw.httpPort,
      method,
      path: `/ext-authz${target}`,
      headers: { host, "x-forwarded-proto": "https", ...headers },
    });
    return { status: res.status, body: res.body ? res.json() : undefined };
  },
};

const PRICED = [
  "/api/expensive",
  "/api/expensive/",
  "/api/expensive//",
  "/api/expensive/.",
  "/API/EXPENSIVE",
  "/Api/Expensive?x=1",
  "/API/premium/x",
  "/api/PREMIUM/x",
  "/api/premium/x",
  "/api/./expensive",
  "/x/../api/expensive",
  "/api/%65xpensive",
];
const REFUSED = [
  "/api/expensive%3F",
  "/api/expensive%3Fx=1",
  "/api%2Fexpensive",
  "/api/expensive%23",
  "/api%5Cexpensive",
  "/api/expensive%00",
];

describe.each(Object.keys(TRANSPORTS))("%s", (name) => {
  const ask = TRANSPORTS[name]!;

  it("every alias is priced at the route's price", async () => {
    for (const target of PRICED) {
      const { status, body } = await ask("GET", target);
      expect([target, status]).toEqual([target, 402]);
      expect([target, body.payment.amountMicro]).toEqual([target, "1000000"]);
    }
  });

  it("encoded ?, #, /, \\ and NUL in the path are 400 INVALID_REQUEST", async () => {
    for (const target of REFUSED) {
      const { status, body } = await ask("GET", target);
      expect([target, status, body.error]).toEqual([target, 400, "INVALID_REQUEST"]);
    }
  });

  it("oversized host, path and headers are 400 INVALID_REQUEST", async () => {
    const cases: [string, Parameters<Ask>][] = [
      ["host", ["GET", "/api/x", {}, `${"h".repeat(300)}.example`]],
      ["path", ["GET", `/api/${"p".repeat(9000)}`]],
      ["header", ["GET", "/api/x", { "x-big": "v".repeat(17 * 1024) }]],
      [
        "headers in total",
        ["GET", "/api/x", Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`x-big-${i}`, "v".repeat(15 * 1024)]))],
      ],
    ];
    for (const [what, args] of cases) {
      const { status, body } = await ask(...args);
      expect([what, status, body?.error]).toEqual([what, 400, "INVALID_REQUEST"]);
    }
  });

  it("an invoice for the cheap default never allows the priced route", async () => {
    const cheap = (await ask("GET", `/other/${name}`)).body.payment;
    expect(cheap.amountMicro).toBe("1000");
    const { txHash } = await stack.agent.send(cheap.address, BigInt(cheap.amountMicro), cheap.memo);
    for (const target of ["/API/EXPENSIVE", "/api/expensive/", "/api/PREMIUM/x"]) {
      const { status, body } = await ask("GET", target, { "x-payment-proof": `${cheap.invoiceId}:${txHash}` });
      expect([target, status, body.error]).toEqual([target, 402, "WRONG_RESOURCE"]);
    }
  });
});

/** Writes one raw HTTP/1.1 request (node's client refuses bad methods) and returns the status. */
function rawStatus(port: number, requestLine: string, headers: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const s = connect(port, "127.0.0.1", () => s.end(`${requestLine}\r\n${headers}Connection: close\r\n\r\n`));
    let text = "";
    s.on("data", (c: Buffer) => void (text += c.toString("utf8")));
    s.on("end", () => resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), text }));
    s.on("error", reject);
  });
}

describe("bad methods on every transport", () => {
  it("a 200-character method and a method with a space are 400 over gRPC", async () => {
    for (const method of ["G".repeat(200), "G T"]) {
      const res = await grpc.check(envoyCheck({ method }));
      expect(httpStatus(res)).toBe(400);
      expect(deniedBody(res).error).toBe("INVALID_REQUEST");
    }
  });

  it("… and over /auth/forward", async () => {
    for (const method of ["G".repeat(200), "G T", "P".repeat(25)]) {
      const res = await TRANSPORTS["forward-auth"]!(method, "/api/x");
      expect([method.length, res.status, res.body.error]).toEqual([method.length, 400, "INVALID_REQUEST"]);
    }
  });

  it("… and over /ext-authz (Node's HTTP parser refuses them before gate402 sees them: still 400)", async () => {
    for (const method of ["G".repeat(200), "G T"]) {
      const res = await rawStatus(stack.gw.httpPort, `${method} /ext-authz/api/x HTTP/1.1`, "Host: api.example.com\r\n");
      expect(res.status).toBe(400);
    }
  });
});
