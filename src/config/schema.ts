import { z } from "zod";
import { assetsEnvSchema } from "./assets.js";
import { networksEnvSchema } from "./networks.js";

/**
 * The environment schema: one source of truth for every setting's name, type and default
 * (docs/design.md "Configuration"; every GATEWAY_* name ClawPurse Gateway had keeps its meaning).
 * Values stay strings/numbers here; money is converted to bigint in load.ts.
 */
const port = z.coerce.number().int().min(0).max(65535);
const bool = z.enum(["true", "false", "1", "0", "yes", "no"]).transform((v) => ["true", "1", "yes"].includes(v));

export const envSchema = z.object({
  GATEWAY_HOST: z.string().default("0.0.0.0"),
  GATEWAY_GRPC_PORT: port.default(9191),
  GATEWAY_HTTP_PORT: port.default(4020),
  GATEWAY_PAYMENT_ADDRESS: z
    .string()
    .regex(/^[a-z]{1,20}1[02-9ac-hj-np-z]{20,90}$/, "must be a bech32 address")
    .optional(),
  /** CometBFT RPC; a comma-separated list fails over in order */
  GATEWAY_RPC: z.string().default("https://rpc2.neutaro.io:443"),
  GATEWAY_CHAIN_ID: z.string().min(1).default("Neutaro-1"),
  /** native ("uneutaro") or IBC ("ibc/<64 uppercase hex>"): the Cosmos SDK denom syntax */
  GATEWAY_DENOM: z
    .string()
    .regex(/^[a-zA-Z][a-zA-Z0-9/:._-]{2,127}$/, "must be a Cosmos SDK denom, e.g. uneutaro or ibc/<hash>")
    .default("uneutaro"),
  /** decimal NTMPI, at most 6 decimals */
  GATEWAY_DEFAULT_PRICE: z.string().default("0.001"),
  /** display name of GATEWAY_DENOM (1 display unit = 10^6 micro-units), shown in 402 messages and the API */
  GATEWAY_CURRENCY: z
    .string()
    .regex(/^[A-Za-z0-9.-]{1,16}$/, "1–16 letters, digits, '.' or '-'")
    .default("NTMPI"),
  GATEWAY_ROUTES: z.string().optional(),
  GATEWAY_ROUTES_FILE: z.string().optional(),
  GATEWAY_MIN_CONFIRMATIONS: z.coerce.number().int().min(1).max(1000).default(1),
  /** additional Cosmos networks: JSON array of {id, rpc, bech32Prefix, payTo, denom, confirmations} (config/networks.ts) */
  GATEWAY_NETWORKS: networksEnvSchema.optional(),
  /** the same list in a YAML or JSON file (not both) */
  GATEWAY_NETWORKS_FILE: z.string().min(1).optional(),
  /** additional accepted assets: JSON array of {network, denom, name, decimals} (config/assets.ts) */
  GATEWAY_ASSETS: assetsEnvSchema.optional(),
  /** seconds */
  GATEWAY_INVOICE_TTL: z.coerce.number().int().min(10).max(86_400).default(300),
  GATEWAY_PREPAID: bool.default(true),
  GATEWAY_INVOICE_SECRET: z.string().optional(),
  /** pass token keys, "kid:secret,…", first signs (config/pass-keys.ts) */
  GATEWAY_PASS_KEYS: z.string().optional(),
  /** ms; the decision path never waits longer than this for the chain */
  GATEWAY_CHAIN_TIMEOUT_MS: z.coerce.number().int().min(50).max(60_000).default(1500),
  /** log the real decision but allow every request */
  GATEWAY_DRY_RUN: bool.default(false),
  /** public base URL of the HTTP API (for absolute verify/prepaid URLs in 402 bodies); relative when unset */
  GATEWAY_PUBLIC_URL: z.string().url().optional(),
  GATEWAY_DATA_DIR: z.string().default(".data"),
  DATABASE_URL: z.string().optional(),
  /** connections per replica for the decision path */
  GATEWAY_DB_POOL_MAX: z.coerce.number().int().min(1).max(500).default(10),
  /** ms to wait for a free pool connection before answering 503 STORE_UNAVAILABLE */
  GATEWAY_DB_ACQUIRE_TIMEOUT_MS: z.coerce.number().int().min(50).max(120_000).default(1000),
  /** ms: every Check's store calls answer by then (503 STORE_UNAVAILABLE after); below Envoy's 2 s ext_authz timeout */
  GATEWAY_CHECK_DEADLINE_MS: z.coerce.number().int().min(50).max(60_000).default(1500),
  /** decision-path store operations in flight per replica; past it checks get 503 + Retry-After at once */
  GATEWAY_DB_QUEUE_MAX: z.coerce.number().int().min(1).max(1_000_000).default(1000),
  /** ms the first prepaid debit of a group commit waits for others (0: next tick) */
  GATEWAY_DB_BATCH_WINDOW_MS: z.coerce.number().int().min(0).max(100).default(1),
  /** most prepaid debits in one group-commit statement */
  GATEWAY_DB_BATCH_MAX: z.coerce.number().int().min(1).max(10_000).default(256),
  /** prepaid usage as `usage` rollup ledger entries + per-call usage_events rows (issue 15); false: a `debit` entry per call */
  GATEWAY_LEDGER_ROLLUPS: bool.default(true),
  /**
   * ms a rollup period lasts: per account, the calls of a period become ONE `usage` ledger entry when it
   * closes (0: one per account per debit batch). At most MAX_ROLLUP_MS of src/store/usage-periods.ts.
   */
  GATEWAY_LEDGER_ROLLUP_MS: z.coerce.number().int().min(0).max(3_600_000).default(60_000),
  /** days of per-call usage detail kept (at least GATEWAY_REFUND_WINDOW) */
  GATEWAY_USAGE_RETENTION: z.coerce.number().int().min(1).max(3650).default(7),
  /** ms between usage maintenance runs (partitions ahead, expired days dropped); 0 = off (run `gate402 maintain`) */
  GATEWAY_USAGE_MAINTENANCE_MS: z.coerce.number().int().min(0).max(86_400_000).default(3_600_000),
  JWT_SECRET: z.string().optional(),
  /** one-time secret that lets the first management admin register (POST /manage/auth/register) */
  GATEWAY_ADMIN_BOOTSTRAP_TOKEN: z.string().min(16, "must be at least 16 characters").optional(),
  /** optional OIDC login for /manage: all three or none */
  GATEWAY_OIDC_ISSUER: z.string().min(1).optional(),
  GATEWAY_OIDC_AUDIENCE: z.string().min(1).optional(),
  GATEWAY_OIDC_JWKS_URL: z.string().url().optional(),
  /** seconds after an invoice's expiry during which a payment included late still buys one request */
  GATEWAY_LATE_GRACE: z.coerce.number().int().min(0).max(604_800).default(3600),
  /** ms between background RPC node checks (chain id, tx_index, catching up, behind); 0 = off */
  GATEWAY_RPC_HEALTH_MS: z.coerce.number().int().min(0).max(3_600_000).default(10_000),
  /** run the payment watcher (one replica at a time holds its lock) */
  GATEWAY_WATCHER: bool.default(true),
  /** ms between watcher passes when caught up */
  GATEWAY_WATCHER_POLL_MS: z.coerce.number().int().min(20).max(60_000).default(1000),
  /** index only up to head − this many blocks (the node's tx indexer trails the block it reports) */
  GATEWAY_WATCHER_MARGIN_BLOCKS: z.coerce.number().int().min(0).max(100).default(1),
  /** every pass re-reads this many blocks below its cursor, catching txs the index showed late */
  GATEWAY_WATCHER_REREAD_BLOCKS: z.coerce.number().int().min(0).max(10_000).default(10),
  /** first height to read when no cursor is stored yet (default: the head at first start) */
  GATEWAY_WATCHER_START_HEIGHT: z.coerce.number().int().min(1).optional(),
  /** ms; deadline of one watcher chain call (not on the decision path) */
  GATEWAY_WATCHER_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  /** ms between a standby replica's attempts to take the watcher lock */
  GATEWAY_WATCHER_LEASE_POLL_MS: z.coerce.number().int().min(20).max(60_000).default(2000),
  /** chain-lookup rate limit per client IP: refill, tokens per second (fractions allowed); 0 = off */
  GATEWAY_RATE_LIMIT_PER_SEC: z.coerce.number().finite().min(0).max(1_000_000).default(20),
  /** chain-lookup rate limit per client IP: bucket capacity, tokens; 0 = off */
  GATEWAY_RATE_LIMIT_BURST: z.coerce.number().int().min(0).max(1_000_000).default(40),
  /** HTTP statuses (classes like 5xx, codes like 404; "none" = off) whose logged response refunds the charge */
  GATEWAY_REFUND_ON: z.string().default("5xx"),
  /** seconds after a charge during which an access log entry can still refund it */
  GATEWAY_REFUND_WINDOW: z.coerce.number().int().min(1).max(604_800).default(600),
  /** PEM certificate chain and key: TLS on the gRPC and HTTP ports (both or neither); reloaded when the files change */
  GATEWAY_TLS_CERT_FILE: z.string().min(1).optional(),
  GATEWAY_TLS_KEY_FILE: z.string().min(1).optional(),
  /** PEM CA bundle: the gRPC port then requires client certificates signed by it (mTLS) */
  GATEWAY_TLS_CLIENT_CA_FILE: z.string().min(1).optional(),
  /** also require a client certificate from GATEWAY_TLS_CLIENT_CA_FILE on /manage (the rest of the HTTP API stays open) */
  GATEWAY_TLS_MANAGE_CLIENT_CERT: bool.default(false),
  /** ms between checks of the TLS files for a rotated certificate */
  GATEWAY_TLS_RELOAD_MS: z.coerce.number().int().min(100).max(3_600_000).default(10_000),
  /** plaintext port serving only grpc.health.v1 (for kubelet gRPC probes, which cannot speak TLS); unset = none */
  GATEWAY_HEALTH_GRPC_PORT: port.optional(),
  /** failed management logins per operator before a lockout */
  GATEWAY_LOGIN_MAX_FAILURES: z.coerce.number().int().min(1).max(1000).default(5),
  /** failed management logins per source address before a lockout */
  GATEWAY_LOGIN_MAX_FAILURES_PER_ADDRESS: z.coerce.number().int().min(1).max(100_000).default(20),
  /** seconds a locked-out operator or address waits */
  GATEWAY_LOGIN_LOCKOUT_SECONDS: z.coerce.number().int().min(1).max(86_400).default(900),
  /** seconds failed logins are remembered: the limits count failures within this window */
  GATEWAY_LOGIN_WINDOW_SECONDS: z.coerce.number().int().min(1).max(86_400).default(900),
  /** ms between a replica's reads of revoked management tokens (the longest a revoked token still works elsewhere) */
  GATEWAY_REVOCATION_POLL_MS: z.coerce.number().int().min(50).max(60_000).default(2000),
  /** route patterns match case-sensitively and a trailing slash is significant (upstreams that route strictly) */
  GATEWAY_STRICT_ROUTING: bool.default(false),
  /** who may POST /prepaid/accounts: open (per-IP token bucket), token (bearer GATEWAY_PREPAID_SIGNUP_TOKEN), closed (management API only) */
  GATEWAY_PREPAID_SIGNUP: z.enum(["open", "token", "closed"]).default("open"),
  GATEWAY_PREPAID_SIGNUP_TOKEN: z.string().min(16, "must be at least 16 characters").optional(),
  /** open sign-up: accounts one client IP may create per hour (token bucket refill); 0 = no limit */
  GATEWAY_PREPAID_SIGNUP_PER_HOUR: z.coerce.number().finite().min(0).max(1_000_000).default(20),
  /** open sign-up: accounts one client IP may create at once (bucket capacity) */
  GATEWAY_PREPAID_SIGNUP_BURST: z.coerce.number().int().min(1).max(1_000_000).default(5),
  /** seconds after which a prepaid account that never received a deposit is removed; 0 = keep forever */
  GATEWAY_PREPAID_UNFUNDED_TTL: z.coerce
    .number()
    .int()
    .min(0)
    .max(31_536_000)
    .default(7 * 86_400),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** ms `gate402 serve` lets in-flight requests finish after SIGTERM */
  GATEWAY_SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(600_000).default(10_000),
  /** `gate402 dev` only: the devnet's RPC port */
  GATEWAY_DEVNET_PORT: port.default(26657),
  /** `gate402 dev` and `demo` only: ms between devnet blocks (0: a block per tx) */
  GATEWAY_DEVNET_BLOCK_MS: z.coerce.number().int().min(0).max(60_000).default(500),
  /** `gate402 dev` only: also start the second devnet chain (Devnet-2, prefix cosmos, denom uatom) on GATEWAY_DEVNET_PORT + 1 */
  GATEWAY_DEVNET_SECOND_CHAIN: bool.default(false),
});

/** Settings read only by one command, listed in that command's help rather than with every gateway setting. */
export const COMMAND_ONLY_ENV: readonly string[] = [
  "GATEWAY_SHUTDOWN_GRACE_MS",
  "GATEWAY_DEVNET_PORT",
  "GATEWAY_DEVNET_BLOCK_MS",
  "GATEWAY_DEVNET_SECOND_CHAIN",
];

export type RawEnv = z.infer<typeof envSchema>;
