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
    if (!s.txIndex)
      problems.push(
        `${ep.rpcUrl}: tx indexing is off (set tx_index.indexer = "kv" in config.toml); invoice-only proofs and the payment watcher need tx_search`,
      );
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
      : r,
  );
}

/**
 * Asks every endpoint for `status` and checks: chain id equals the network's (GATEWAY_CHAIN_ID for the
 * primary), `tx_index` on, not catching up, not far behind the others. The verdicts go to the
 * ResilientChain at once.
 * - strict (default in production mode): throws NodeCheckError when any endpoint is on another chain,
 *   has tx indexing off or is catching up, or (unless `requireAnswer` is false) when none answers;
 * - otherwise: logs each problem (warn) and returns.
 * The whole check takes at most the endpoints' request timeout (GATEWAY_CHAIN_TIMEOUT_MS): they run in
 * parallel.
 */
export async function checkNodes(
  setup: NodeSet,
  config: { readonly chainId: string; readonly mode: string },
  log?: Logger,
  opts: { readonly strict?: boolean; readonly requireAnswer?: boolean } = {},
): Promise<readonly NodeReport[]> {
  const reports = markStale(await Promise.all(setup.endpoints.map((ep) => inspect(ep, config.chainId))));
  for (const r of reports) setup.resilient.setHealth(r.url, r.health);
  const problems = reports.flatMap((r) => r.problems);
  const fatal = reports.filter((r) => r.health === "excluded" || r.catchingUp === true).flatMap((r) => r.problems);
  if (reports.every((r) => r.height === undefined) && opts.requireAnswer !== false) fatal.push("no RPC endpoint answered `status`");
  const strict = opts.strict ?? config.mode === "production";
  if (strict && fatal.length > 0) throw new NodeCheckError(fatal);
  for (const p of problems) log?.warn({ component: "chain-health" }, p);
  if (problems.length === 0)
    log?.info({ component: "chain-health", endpoints: reports.map((r) => ({ url: r.url, height: r.height })) }, "RPC nodes checked");
  return reports;
}

/** A network's endpoints and where their verdicts go (a NetworkChain of the registry satisfies it). */
export interface NetworkNodes extends NodeSet {
  readonly network: { readonly id: string; readonly chainId: string; readonly primary: boolean };
}

/**
 * The start-up node checks of every network (`gate402 serve`). The primary must answer; an additional
 * network that does not answer yet is only logged (it stays unavailable until it does, and affects no
 * other network), but one on the wrong chain or without tx indexing stops production start-up too.
 * @throws NodeCheckError listing every network's fatal problems
 */
export async function checkNetworks(networks: readonly NetworkNodes[], mode: string, log?: Logger): Promise<void> {
  const fatal: string[] = [];
  await Promise.all(
    networks.map(async (n) => {
      const netLog = log?.child({ network: n.network.id });
      await checkNodes(n, { chainId: n.network.chainId, mode }, netLog, { requireAnswer: n.network.primary }).catch((err: unknown) => {
        if (!(err instanceof NodeCheckError)) throw err;
        fatal.push(...err.problems.map((p) => (n.network.primary ? p : `${n.network.id}: ${p}`)));
      });
    }),
  );
  if (fatal.length > 0) throw new NodeCheckError(fatal);
}

/** Context the background checker needs (the app's GatewayContext satisfies it). */
export interface HealthContext {
  readonly config: { readonly mode: string; readonly rpcHealthIntervalMs?: number };
  readonly networks: { all(): readonly NetworkNodes[] };
  readonly log: Logger;
}

/**
 * Gateway extension: repeats every network's node checks every GATEWAY_RPC_HEALTH_MS (default 10 s;
 * 0 = off), logging only changes, so an endpoint that switches chain or falls behind is demoted without
 * a restart and one that recovers is promoted again.
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
      const next = new Map<string, EndpointHealth>();
      // In parallel: a network whose nodes stall must not delay the others' verdicts.
      const checked = await Promise.all(
        ctx.networks.all().map(async (n) => ({
          n,
          reports: await checkNodes(n, { chainId: n.network.chainId, mode: ctx.config.mode }, undefined, { strict: false }),
        })),
      );
      for (const { n, reports } of checked) {
        for (const r of reports) {
          const key = `${n.network.id} ${r.url}`;
          if ((last.get(key) ?? "ok") === r.health) continue;
          log.warn({ network: n.network.id, url: r.url, health: r.health, problems: r.problems }, "RPC endpoint health changed");
          next.set(key, r.health);
        }
      }
      last = next;
    } finally {
      running = false;
    }
  };
  void tick();
  const timer = setInterval(() => void tick(), everyMs);
  timer.unref();
  return { stop: async () => clearInterval(timer) };
}
