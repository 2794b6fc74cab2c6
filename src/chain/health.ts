/**
 * RPC endpoint health: start-up node checks (`checkNodes`, called by `gate402 serve`) and the same
 * checks repeated in the background (`chainHealth` extension), feeding ResilientChain so a node that
 * is on the wrong chain is never asked, and one that is syncing or behind is asked last.
 */
import type { Logger } from "pino";
import type { EndpointHealth } from "./resilient.js";

/** How many blocks an endpoint may trail the highest one before it counts as behind (degraded). */
export const STALE_BLOCKS = 10;

/** What one endpoint's `status` said. */
export interface NodeReport {
  readonly url: string;
  readonly health: EndpointHealth;
  /** human-readable problems; empty when ok */
  readonly problems: readonly string[];
  readonly chainId?: string;
  readonly txIndex?: boolean;
  readonly catchingUp?: boolean;
  readonly height?: number;
}

/** The start-up checks failed in strict (production) mode; `problems` lists every endpoint's. */
export class NodeCheckError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`RPC node checks failed:\n  - ${problems.join("\n  - ")}`);
    this.name = "NodeCheckError";
  }
}

/** Facts an endpoint gives about itself (NeutaroChain.nodeStatus). */
export interface StatusSource {
  readonly rpcUrl: string;
  nodeStatus(): Promise<{ chainId: string; txIndex: boolean; catchingUp: boolean; height: number }>;
}

/** The endpoints to check and where verdicts go (a ChainSetup satisfies it). */
export interface NodeSet {
  readonly endpoints: readonly StatusSource[];
  readonly resilient: { setHealth(name: string, health: EndpointHealth): void };
}

async function inspect(ep: StatusSource, chainId: string): Promise<NodeReport> {
  try {
    const s = await ep.nodeStatus();
    const problems: string[] = [];
    if (s.chainId !== chainId) problems.push(`${ep.rpcUrl}: chain id is "${s.chainId}", GATEWAY_CHAIN_ID is "${chainId}"`);
    if (!s.txIndex) problems.push(`${ep.rpcUrl}: tx indexing is off (set tx_index.indexer = "kv" in config.toml); invoice-only proofs and the payment watcher need tx_search`);
    const excluded = problems.length > 0;
    if (s.catchingUp) problems.push(`${ep.rpcUrl}: node is catching up (still syncing); its answers would miss recent payments`);
    const health: EndpointHealth = excluded ? "excluded" : s.catchingUp ? "degraded" : "ok";
    return { url: ep.rpcUrl, health, problems, chainId: s.chainId, txIndex: s.txIndex, catchingUp: s.catchingUp, height: s.height };
  } catch (err) {
    return { url: ep.rpcUrl, health: "degraded", problems: [`${ep.rpcUrl}: unreachable (${(err as Error).message})`] };
  }
}

/** Marks endpoints more than STALE_BLOCKS behind the highest reachable one as degraded. */
function markStale(reports: NodeReport[]): NodeReport[] {
  const top = Math.max(0, ...reports.map((r) => r.height ?? 0));
  return reports.map((r) =>
    r.health === "ok" && r.height !== undefined && top - r.height > STALE_BLOCKS
      ? { ...r, health: "degraded" as const, problems: [...r.problems, `${r.url}: ${top - r.height} blocks behind the highest endpoint`] }
      : r);
}

/**
 * Asks every endpoint for `status` and checks: chain id equals GATEWAY_CHAIN_ID, `tx_index` on, not
 * catching up, not far behind the others. The verdicts go to the ResilientChain at once.
 * - strict (default in production mode): throws NodeCheckError when any endpoint is on another chain,
 *   has tx indexing off or is catching up, or when none answers;
 * - otherwise: logs each problem (warn) and returns.
 * The whole check takes at most the endpoints' request timeout (GATEWAY_CHAIN_TIMEOUT_MS): they run in
 * parallel.
 */
export async function checkNodes(
  setup: NodeSet,
  config: { readonly chainId: string; readonly mode: string },
  log?: Logger,
  opts: { readonly strict?: boolean } = {},
): Promise<readonly NodeReport[]> {
  const reports = markStale(await Promise.all(setup.endpoints.map((ep) => inspect(ep, config.chainId))));
  for (const r of reports) setup.resilient.setHealth(r.url, r.health);
  const problems = reports.flatMap((r) => r.problems);
  const fatal = reports.filter((r) => r.health === "excluded" || r.catchingUp === true).flatMap((r) => r.problems);
  if (reports.every((r) => r.height === undefined)) fatal.push("no RPC endpoint answered `status`");
  const strict = opts.strict ?? config.mode === "production";
  if (strict && fatal.length > 0) throw new NodeCheckError(fatal);
  for (const p of problems) log?.warn({ component: "chain-health" }, p);
  if (problems.length === 0) log?.info({ component: "chain-health", endpoints: reports.map((r) => ({ url: r.url, height: r.height })) }, "RPC nodes checked");
  return reports;
}

/** Context the background checker needs (a GatewayContext satisfies it). */
export interface HealthContext {
  readonly config: { readonly chainId: string; readonly mode: string; readonly rpcHealthIntervalMs?: number };
  readonly chain: NodeSet;
  readonly log: Logger;
}

/**
 * Gateway extension: repeats the node checks every GATEWAY_RPC_HEALTH_MS (default 10 s; 0 = off),
 * logging only changes, so an endpoint that switches chain or falls behind is demoted without a restart
 * and one that recovers is promoted again.
 */
export function chainHealth(ctx: HealthContext): { stop(): Promise<void> } | void {
  const everyMs = ctx.config.rpcHealthIntervalMs ?? 10_000;
  if (everyMs <= 0) return;
  const log = ctx.log.child({ component: "chain-health" });
  let last = new Map<string, EndpointHealth>();
  let running = false;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      const reports = await checkNodes(ctx.chain, ctx.config, undefined, { strict: false });
      for (const r of reports) {
        const before = last.get(r.url) ?? "ok";
        if (before !== r.health) log.warn({ url: r.url, health: r.health, problems: r.problems }, "RPC endpoint health changed");
      }
      last = new Map(reports.map((r) => [r.url, r.health]));
    } finally {
      running = false;
    }
  };
  void tick();
  const timer = setInterval(() => void tick(), everyMs);
  timer.unref();
  return { stop: async () => clearInterval(timer) };
}
