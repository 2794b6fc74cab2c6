/**
 * One raw HTTP/1.1 request with node:http: unlike fetch it sends the target exactly as given (no
 * dot-segment resolution) and lets the test set Host, as a proxy would.
 */
import { request } from "node:http";

export interface RawResponse {
  readonly status: number;
  /** lowercased names */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
  json(): any;
}

export function rawRequest(o: {
  port: number;
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port: o.port, method: o.method ?? "GET", path: o.path, headers: o.headers, timeout: 20_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const body = Buffer.concat(chunks).toString("utf8");
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body) });
        });
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`request ${o.path} timed out`)));
    req.on("error", reject);
    req.end(o.body);
  });
}
