/**
 * A TCP proxy on 127.0.0.1 that a test can cut (connections dropped, new ones refused) and restore,
 * or stall (open connections stay open but no byte moves either way, like a network partition) and
 * heal (everything held back is delivered, in order, including statements whose client gave up).
 */
import { createServer, connect, type Server, type Socket } from "node:net";

export interface TcpProxy {
  readonly port: number;
  /** drops every open connection and refuses new ones */
  cut(): void;
  restore(): void;
  /**
   * holds back every byte on every connection, open or new, until heal(); "answers": only what the
   * server sends (statements still arrive and run, their results do not come back)
   */
  stall(what?: "all" | "answers"): void;
  /** delivers what stall() held back; a side that closed meanwhile is closed after its bytes */
  heal(): void;
  close(): Promise<void>;
}

interface Link {
  readonly client: Socket;
  readonly upstream: Socket;
  readonly toUpstream: Buffer[];
  readonly toClient: Buffer[];
  clientEnded: boolean;
  upstreamEnded: boolean;
}

export async function tcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  const links = new Set<Link>();
  let down = false;
  let stalled = false;
  let answersOnly = false;
  const drop = (l: Link) => {
    l.client.destroy();
    l.upstream.destroy();
    links.delete(l);
  };
  const server: Server = createServer((client) => {
    if (down) return void client.destroy();
    const upstream = connect(targetPort, targetHost);
    const l: Link = { client, upstream, toUpstream: [], toClient: [], clientEnded: false, upstreamEnded: false };
    links.add(l);
    client.on("data", (b) => (stalled && !answersOnly ? l.toUpstream.push(b) : upstream.write(b)));
    upstream.on("data", (b) => (stalled ? l.toClient.push(b) : client.write(b)));
    // While stalled a closing side is only noted: its peer learns of it after the held-back bytes.
    client.on("close", () => (stalled ? (l.clientEnded = true) : (upstream.end(), links.delete(l))));
    upstream.on("close", () => (stalled ? (l.upstreamEnded = true) : drop(l)));
    client.on("error", () => undefined);
    upstream.on("error", () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    cut() {
      down = true;
      for (const l of links) drop(l);
    },
    restore() {
      down = false;
    },
    stall(what = "all") {
      stalled = true;
      answersOnly = what === "answers";
    },
    heal() {
      stalled = false;
      for (const l of links) {
        for (const b of l.toUpstream.splice(0)) if (!l.upstream.destroyed) l.upstream.write(b);
        for (const b of l.toClient.splice(0)) if (!l.client.destroyed) l.client.write(b);
        if (l.clientEnded) {
          l.upstream.end();
          links.delete(l);
        }
        if (l.upstreamEnded) drop(l);
      }
    },
    close: () =>
      new Promise<void>((r) => {
        for (const l of links) drop(l);
        server.close(() => r());
      }),
  };
}
