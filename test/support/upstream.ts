/** A tiny protected service for proxy tests: answers 200 JSON and records every request it receives. */
import { createServer } from "node:http";

export interface SeenRequest {
  readonly method: string;
  /** raw request target, e.g. "/api/data?x=1" */
  readonly url: string;
  /** lowercased names; repeats joined by Node */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

export interface RecordingUpstream {
  readonly port: number;
  readonly seen: SeenRequest[];
  close(): Promise<void>;
}

export async function recordingUpstream(): Promise<RecordingUpstream> {
  const seen: SeenRequest[] = [];
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      seen.push({ method: req.method ?? "", url: req.url ?? "", headers: { ...req.headers } });
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ upstream: true, n: seen.length }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    port,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
