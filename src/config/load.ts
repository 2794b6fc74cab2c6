import { randomBytes } from "node:crypto";
import { parseRefundPolicy, RefundPolicyError, type RefundPolicy } from "../core/refunds.js";
import { type AmountFormatError, parseCoins } from "../money.js";
import type { PassKeyring } from "../core/passes/tokens.js";
import { parsePassKeys } from "./pass-keys.js";
import { readTlsMaterial, type TlsFiles } from "../tls/files.js";
import { envSchema } from "./schema.js";
import { loadX402Config, type X402Config } from "./x402.js";
import { resolveSecretFiles, type SECRET_VARIABLES } from "./secret-files.js";
import { assembleAssets, type AssetConfig } from "./assets.js";
import { assembleNetworks, prefixOf, readNetworksFile, type NetworkConfig } from "./networks.js";
import { loadRoutesFile, parseRoutesEnv, RouteConfigError, type RouteRule } from "./routes.js";

/** `production` (gate402 serve) refuses weak secrets; `dev` generates ephemeral ones. */
export type RunMode = "production" | "dev";

/** The parsed, frozen configuration. Money already in uneutaro (bigint); routes compiled. */
export interface GatewayConfig {
  readonly mode: RunMode;
  readonly host: string;
  readonly grpcPort: number;
  readonly httpPort: number;
  readonly paymentAddress: string;
  /** CometBFT RPC endpoints, tried in order */
  readonly rpcUrls: readonly string[];
  readonly chainId: string;
  /** CAIP-2 network id, e.g. "cosmos:Neutaro-1" */
  readonly network: string;
  readonly denom: string;
  /**
   * every network payments are accepted on, the primary (the fields above) first, then GATEWAY_NETWORKS
   * or GATEWAY_NETWORKS_FILE in their order; ids and pay-to addresses unique
   */
  readonly networks: readonly NetworkConfig[];
  /**
   * every accepted asset (config/assets.ts): the primary (denom, currency, 6 decimals, primary network)
   * first, then GATEWAY_ASSETS, then the additional networks' denoms; (network, denom) unique
   */
  readonly assets: readonly AssetConfig[];
  /** GATEWAY_CURRENCY: display name of denom, e.g. "NTMPI" */
  readonly currency: string;
  /** default price in uneutaro (bigint) */
  readonly defaultPriceMicro: bigint;
  readonly routes: readonly RouteRule[];
  readonly routesFile?: string;
  readonly minConfirmations: number;
  /** seconds */
  readonly invoiceTtlSeconds: number;
  readonly prepaidEnabled: boolean;
  readonly invoiceSecret: string;
  /** ms */
  readonly chainTimeoutMs: number;
  readonly dryRun: boolean;
  readonly publicUrl?: string;
  readonly dataDir: string;
  /** undefined: embedded Postgres under dataDir */
  readonly databaseUrl?: string;
  /** connections per replica (GATEWAY_DB_POOL_MAX) */
  readonly dbPoolMax: number;
  /** ms to wait for a pool connection before 503 (GATEWAY_DB_ACQUIRE_TIMEOUT_MS) */
  readonly dbAcquireTimeoutMs: number;
  /** GATEWAY_CHECK_DEADLINE_MS: ms each Check's store calls have */
  readonly checkDeadlineMs: number;
  /** GATEWAY_DB_QUEUE_MAX: store operations in flight per replica before 503 */
  readonly dbQueueMax: number;
  /** GATEWAY_DB_BATCH_WINDOW_MS: ms a group commit waits for more debits */
  readonly dbBatchWindowMs: number;
  /** GATEWAY_DB_BATCH_MAX: most debits per group commit */
  readonly dbBatchMax: number;
  /** GATEWAY_LEDGER_ROLLUPS: prepaid usage as rollup ledger entries + usage_events detail */
  readonly ledgerRollups: boolean;
  /** GATEWAY_LEDGER_ROLLUP_MS: ms a usage rollup period lasts per account (0: one rollup per batch) */
  readonly ledgerRollupMs: number;
  /** GATEWAY_USAGE_RETENTION: days of per-call usage detail kept */
  readonly usageRetentionDays: number;
  /** GATEWAY_USAGE_MAINTENANCE_MS: ms between usage maintenance runs (0 = off) */
  readonly usageMaintenanceMs: number;
  readonly jwtSecret: string;
  /** GATEWAY_PASS_KEYS (config/pass-keys.ts): signs and verifies pass tokens */
  readonly passKeys: PassKeyring;
  /** GATEWAY_ADMIN_BOOTSTRAP_TOKEN: registers the first management admin */
  readonly adminBootstrapToken?: string;
  /** OIDC tokens accepted by /manage besides our own */
  readonly oidc?: { readonly issuer: string; readonly audience: string; readonly jwksUrl: string };
  /** the GATEWAY_ROUTES part of `routes` (after the file's rules), kept when the file is reloaded */
  readonly envRoutes: readonly RouteRule[];
  /** GATEWAY_LATE_GRACE, seconds */
  readonly lateGraceSeconds: number;
  /** GATEWAY_RPC_HEALTH_MS; 0 = no background node checks */
  readonly rpcHealthIntervalMs: number;
  /** the payment watcher (src/watcher/); see docs/watcher.md */
  readonly watcher: WatcherConfig;
  /** GATEWAY_RATE_LIMIT_PER_SEC: chain lookups a client IP earns back, tokens per second; 0 = no limit */
  readonly rateLimitPerSec: number;
  /** GATEWAY_RATE_LIMIT_BURST: chain lookups a client IP may make at once, tokens; 0 = no limit */
  readonly rateLimitBurst: number;
  /** GATEWAY_REFUND_ON: statuses of the logged response that reverse the charge (Envoy access log) */
  readonly refundPolicy: RefundPolicy;
  /** GATEWAY_REFUND_WINDOW, seconds: how long after the charge a refund is still given */
  readonly refundWindowSeconds: number;
  /** TLS on the gRPC and HTTP ports; undefined: plaintext (docs/security.md) */
  readonly tls?: TlsConfig;
  /** GATEWAY_HEALTH_GRPC_PORT: plaintext grpc.health.v1-only port; undefined: none */
  readonly healthGrpcPort?: number;
  /** management login throttling and token revocation (src/manage/auth/) */
  readonly manageAuth: ManageAuthConfig;
  /** GATEWAY_STRICT_ROUTING: case-sensitive patterns, significant trailing slash */
  readonly strictRouting: boolean;
  /** who may create prepaid accounts over the public API (GATEWAY_PREPAID_SIGNUP*) */
  readonly prepaidSignup: PrepaidSignupConfig;
  readonly logLevel: string;
  /** ms `gate402 serve` drains after SIGTERM (GATEWAY_SHUTDOWN_GRACE_MS) */
  readonly shutdownGraceMs: number;
  /** the embedded devnet of `gate402 dev` / `demo` (GATEWAY_DEVNET_PORT, GATEWAY_DEVNET_BLOCK_MS, GATEWAY_DEVNET_SECOND_CHAIN) */
  readonly devnet: { readonly port: number; readonly blockTimeMs: number; readonly secondChain: boolean };
  /** x402 signed-payment settlement and facilitator (GATEWAY_X402_*, src/config/x402.ts) */
  readonly x402: X402Config;
  /** names of secrets generated for this dev run (never their values), to say so at start-up */
  readonly generatedSecrets: readonly string[];
}

/** Payment watcher settings (GATEWAY_WATCHER_*). */
export interface WatcherConfig {
  readonly enabled: boolean;
  /** ms between passes when caught up */
  readonly pollMs: number;
  /** blocks below head the watcher stays */
  readonly marginBlocks: number;
  /** blocks below the cursor every pass re-reads */
  readonly rereadBlocks: number;
  /** first height when no cursor is stored; undefined: the head at first start */
  readonly startHeight?: number;
  /** ms per watcher chain call */
  readonly timeoutMs: number;
  /** ms between a standby's lock attempts */
  readonly leasePollMs: number;
}

/** GATEWAY_TLS_*: the PEM files, which are re-read every `reloadMs`. */
export interface TlsConfig extends TlsFiles {
  /** ms between checks of the files for a rotated certificate */
  readonly reloadMs: number;
  /** GATEWAY_TLS_MANAGE_CLIENT_CERT: /manage also needs a client certificate from `clientCaFile` */
  readonly manageClientCert: boolean;
}

/** GATEWAY_LOGIN_* and GATEWAY_REVOCATION_POLL_MS. */
export interface ManageAuthConfig {
  /** failed logins per operator before a lockout */
  readonly maxFailures: number;
  /** failed logins per source address before a lockout */
  readonly maxFailuresPerAddress: number;
  /** seconds of a lockout */
  readonly lockoutSeconds: number;
  /** seconds failures are remembered (counted against the limits) */
  readonly windowSeconds: number;
  /** ms between reads of the revocation list */
  readonly revocationPollMs: number;
}

/** Prepaid account sign-up over `POST /prepaid/accounts`. */
export interface PrepaidSignupConfig {
  /** open: anyone, per-IP token bucket; token: bearer `token`; closed: management API only */
  readonly mode: "open" | "token" | "closed";
  /** GATEWAY_PREPAID_SIGNUP_TOKEN (mode token) */
  readonly token?: string;
  /** open mode: accounts per client IP per hour (refill); 0 = no limit */
  readonly perHour: number;
  /** open mode: bucket capacity */
  readonly burst: number;
  /** seconds before a never-funded account is removed; 0 = never */
  readonly unfundedTtlSeconds: number;
}

/** Every problem in the environment, reported together. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  - ${problems.join("\n  - ")}`);
    this.name = "ConfigError";
  }
}

/**
 * One secret setting for commands that need only it (`gate402 migrate`: DATABASE_URL), read from `name`
 * or from the file `<name>_FILE` names. @returns undefined when neither is set
 * @throws ConfigError when both are set or the file cannot be read
 */
export function secretSetting(env: Record<string, string | undefined>, name: (typeof SECRET_VARIABLES)[number]): string | undefined {
  const problems: string[] = [];
  const resolved = resolveSecretFiles({ [name]: env[name], [`${name}_FILE`]: env[`${name}_FILE`] }, problems);
  if (problems.length) throw new ConfigError(problems);
  return resolved[name] || undefined;
}

const WEAK_SECRETS = new Set(["change-me-before-production", "changeme", "change-me", "secret", "dev", "test", "password"]);
const MIN_SECRET_LENGTH = 32;

function secret(name: string, value: string | undefined, mode: RunMode, problems: string[], generated: string[]): string {
  const weak = value === undefined || value.length < MIN_SECRET_LENGTH || WEAK_SECRETS.has(value);
  if (!weak) return value;
  if (mode === "production") {
    problems.push(
      `${name} is ${value === undefined ? "missing" : "a default or weak secret"}: set at least ${MIN_SECRET_LENGTH} random characters (e.g. openssl rand -hex 32)`,
    );
    return "";
  }
  generated.push(name);
  return randomBytes(32).toString("hex");
}

/**
 * Parses the environment once into a frozen GatewayConfig, collecting every problem.
 * @param rawEnv usually process.env; `<SECRET>_FILE` variables are read here (secret-files.ts)
 * @throws ConfigError listing every invalid or missing setting (route table problems included)
 */
export function loadConfig(rawEnv: Record<string, string | undefined>, mode: RunMode): GatewayConfig {
  const problems: string[] = [];
  const generated: string[] = [];
  const unreadSecrets = new Set<string>();
  const env = resolveSecretFiles(rawEnv, problems, unreadSecrets);
  const parsed = envSchema.safeParse(env);
  // Report schema problems, then keep validating the rest with those keys at their defaults,
  // so one bad setting does not hide the next.
  const invalid = new Set(parsed.success ? [] : parsed.error.issues.map((i) => String(i.path[0])));
  if (!parsed.success) problems.push(...parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`));
  const e = parsed.success ? parsed.data : envSchema.parse(Object.fromEntries(Object.entries(env).filter(([k]) => !invalid.has(k))));
  if (!e.GATEWAY_PAYMENT_ADDRESS && !invalid.has("GATEWAY_PAYMENT_ADDRESS"))
    problems.push("GATEWAY_PAYMENT_ADDRESS is required (the neutaro1… address that receives payments)");
  let defaultPriceMicro = 0n;
  try {
    defaultPriceMicro = parseCoins(e.GATEWAY_DEFAULT_PRICE);
  } catch (err) {
    problems.push(`GATEWAY_DEFAULT_PRICE: ${(err as AmountFormatError).message}`);
  }
  let routes: RouteRule[] = [];
  let envRoutes: RouteRule[] = [];
  // Both sources are read even when one is broken, so every problem is reported in one go.
  const routeProblems = <T>(read: () => T, fallback: T): T => {
    try {
      return read();
    } catch (err) {
      if (!(err instanceof RouteConfigError)) throw err;
      problems.push(...err.problems);
      return fallback;
    }
  };
  const rpcUrls = e.GATEWAY_RPC.split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  for (const u of rpcUrls) if (!/^https?:\/\/[^\s]+$/.test(u)) problems.push(`GATEWAY_RPC: "${u}" is not an http(s) URL`);
  const networks = networksOf(e, rpcUrls, problems);
  const assets = assembleAssets({ denom: e.GATEWAY_DENOM, name: e.GATEWAY_CURRENCY }, networks, e.GATEWAY_ASSETS ?? [], problems);
  envRoutes = routeProblems(() => parseRoutesEnv(e.GATEWAY_ROUTES), []);
  const fileRoutes = routeProblems(() => (e.GATEWAY_ROUTES_FILE ? loadRoutesFile(e.GATEWAY_ROUTES_FILE, assets) : []), []);
  routes = [...fileRoutes, ...envRoutes];
  let refundPolicy = parseRefundPolicy("5xx");
  try {
    refundPolicy = parseRefundPolicy(e.GATEWAY_REFUND_ON);
  } catch (err) {
    if (!(err instanceof RefundPolicyError)) throw err;
    problems.push(`GATEWAY_REFUND_ON: ${err.message}`);
  }
  const oidcSet = [e.GATEWAY_OIDC_ISSUER, e.GATEWAY_OIDC_AUDIENCE, e.GATEWAY_OIDC_JWKS_URL].filter((v) => v !== undefined).length;
  if (oidcSet !== 0 && oidcSet !== 3)
    problems.push("GATEWAY_OIDC_ISSUER, GATEWAY_OIDC_AUDIENCE and GATEWAY_OIDC_JWKS_URL go together: set all three or none");
  if (e.GATEWAY_PREPAID_SIGNUP === "token" && !e.GATEWAY_PREPAID_SIGNUP_TOKEN)
    problems.push("GATEWAY_PREPAID_SIGNUP=token needs GATEWAY_PREPAID_SIGNUP_TOKEN (at least 16 characters)");
  // Detail must outlive the refund window: a refund finds a rolled-up call's amount only in usage_events.
  if (e.GATEWAY_USAGE_RETENTION * 86_400 < e.GATEWAY_REFUND_WINDOW)
    problems.push("GATEWAY_USAGE_RETENTION (days) must cover GATEWAY_REFUND_WINDOW (seconds)");
  const x402 = loadX402Config(env, problems);
  // A secret whose _FILE failed is reported once, by resolveSecretFiles, not again as missing here.
  const secretOf = (name: "GATEWAY_INVOICE_SECRET" | "JWT_SECRET", value: string | undefined) =>
    unreadSecrets.has(name) ? "" : secret(name, value, mode, problems, generated);
  const invoiceSecret = secretOf("GATEWAY_INVOICE_SECRET", e.GATEWAY_INVOICE_SECRET);
  const jwtSecret = secretOf("JWT_SECRET", e.JWT_SECRET);
  const tls = tlsConfig(e, problems);
  const passKeys = parsePassKeys(e.GATEWAY_PASS_KEYS, invoiceSecret, problems);
  if (problems.length) throw new ConfigError(problems);
  return Object.freeze({
    mode,
    host: e.GATEWAY_HOST,
    grpcPort: e.GATEWAY_GRPC_PORT,
    httpPort: e.GATEWAY_HTTP_PORT,
    paymentAddress: e.GATEWAY_PAYMENT_ADDRESS!,
    rpcUrls: Object.freeze(rpcUrls),
    chainId: e.GATEWAY_CHAIN_ID,
    network: `cosmos:${e.GATEWAY_CHAIN_ID}`,
    denom: e.GATEWAY_DENOM,
    networks: Object.freeze(networks),
    assets: Object.freeze(assets),
    currency: e.GATEWAY_CURRENCY,
    defaultPriceMicro,
    routes: Object.freeze(routes),
    routesFile: e.GATEWAY_ROUTES_FILE,
    minConfirmations: e.GATEWAY_MIN_CONFIRMATIONS,
    invoiceTtlSeconds: e.GATEWAY_INVOICE_TTL,
    prepaidEnabled: e.GATEWAY_PREPAID,
    invoiceSecret,
    chainTimeoutMs: e.GATEWAY_CHAIN_TIMEOUT_MS,
    dryRun: e.GATEWAY_DRY_RUN,
    publicUrl: e.GATEWAY_PUBLIC_URL?.replace(/\/$/, ""),
    dataDir: e.GATEWAY_DATA_DIR,
    databaseUrl: e.DATABASE_URL,
    dbPoolMax: e.GATEWAY_DB_POOL_MAX,
    dbAcquireTimeoutMs: e.GATEWAY_DB_ACQUIRE_TIMEOUT_MS,
    checkDeadlineMs: e.GATEWAY_CHECK_DEADLINE_MS,
    dbQueueMax: e.GATEWAY_DB_QUEUE_MAX,
    dbBatchWindowMs: e.GATEWAY_DB_BATCH_WINDOW_MS,
    dbBatchMax: e.GATEWAY_DB_BATCH_MAX,
    ledgerRollups: e.GATEWAY_LEDGER_ROLLUPS,
    ledgerRollupMs: e.GATEWAY_LEDGER_ROLLUP_MS,
    usageRetentionDays: e.GATEWAY_USAGE_RETENTION,
    usageMaintenanceMs: e.GATEWAY_USAGE_MAINTENANCE_MS,
    jwtSecret,
    passKeys,
    adminBootstrapToken: e.GATEWAY_ADMIN_BOOTSTRAP_TOKEN,
    oidc:
      oidcSet === 3
        ? Object.freeze({ issuer: e.GATEWAY_OIDC_ISSUER!, audience: e.GATEWAY_OIDC_AUDIENCE!, jwksUrl: e.GATEWAY_OIDC_JWKS_URL! })
        : undefined,
    envRoutes: Object.freeze(envRoutes),
    lateGraceSeconds: e.GATEWAY_LATE_GRACE,
    rpcHealthIntervalMs: e.GATEWAY_RPC_HEALTH_MS,
    watcher: Object.freeze({
      enabled: e.GATEWAY_WATCHER,
      pollMs: e.GATEWAY_WATCHER_POLL_MS,
      marginBlocks: e.GATEWAY_WATCHER_MARGIN_BLOCKS,
      rereadBlocks: e.GATEWAY_WATCHER_REREAD_BLOCKS,
      startHeight: e.GATEWAY_WATCHER_START_HEIGHT,
      timeoutMs: e.GATEWAY_WATCHER_TIMEOUT_MS,
      leasePollMs: e.GATEWAY_WATCHER_LEASE_POLL_MS,
    }),
    rateLimitPerSec: e.GATEWAY_RATE_LIMIT_PER_SEC,
    rateLimitBurst: e.GATEWAY_RATE_LIMIT_BURST,
    refundPolicy,
    refundWindowSeconds: e.GATEWAY_REFUND_WINDOW,
    tls,
    healthGrpcPort: e.GATEWAY_HEALTH_GRPC_PORT,
    manageAuth: Object.freeze({
      maxFailures: e.GATEWAY_LOGIN_MAX_FAILURES,
      maxFailuresPerAddress: e.GATEWAY_LOGIN_MAX_FAILURES_PER_ADDRESS,
      lockoutSeconds: e.GATEWAY_LOGIN_LOCKOUT_SECONDS,
      windowSeconds: e.GATEWAY_LOGIN_WINDOW_SECONDS,
      revocationPollMs: e.GATEWAY_REVOCATION_POLL_MS,
    }),
    strictRouting: e.GATEWAY_STRICT_ROUTING,
    prepaidSignup: Object.freeze({
      mode: e.GATEWAY_PREPAID_SIGNUP,
      token: e.GATEWAY_PREPAID_SIGNUP_TOKEN,
      perHour: e.GATEWAY_PREPAID_SIGNUP_PER_HOUR,
      burst: e.GATEWAY_PREPAID_SIGNUP_BURST,
      unfundedTtlSeconds: e.GATEWAY_PREPAID_UNFUNDED_TTL,
    }),
    logLevel: e.LOG_LEVEL,
    shutdownGraceMs: e.GATEWAY_SHUTDOWN_GRACE_MS,
    devnet: Object.freeze({
      port: e.GATEWAY_DEVNET_PORT,
      blockTimeMs: e.GATEWAY_DEVNET_BLOCK_MS,
      secondChain: e.GATEWAY_DEVNET_SECOND_CHAIN,
    }),
    x402,
    generatedSecrets: Object.freeze(generated),
  });
}

/** The primary network from GATEWAY_CHAIN_ID & co., then GATEWAY_NETWORKS or GATEWAY_NETWORKS_FILE (config/networks.ts). */
function networksOf(e: ReturnType<typeof envSchema.parse>, rpcUrls: readonly string[], problems: string[]): NetworkConfig[] {
  const both = e.GATEWAY_NETWORKS?.length && e.GATEWAY_NETWORKS_FILE;
  if (both) problems.push("GATEWAY_NETWORKS and GATEWAY_NETWORKS_FILE: set one or neither");
  const fromFile = e.GATEWAY_NETWORKS_FILE ? readNetworksFile(e.GATEWAY_NETWORKS_FILE, problems) : [];
  const extra = e.GATEWAY_NETWORKS?.length ? e.GATEWAY_NETWORKS : fromFile;
  const payTo = e.GATEWAY_PAYMENT_ADDRESS ?? "";
  const primary = {
    id: `cosmos:${e.GATEWAY_CHAIN_ID}`,
    chainId: e.GATEWAY_CHAIN_ID,
    rpcUrls: Object.freeze([...rpcUrls]),
    bech32Prefix: prefixOf(payTo),
    payTo,
    denom: e.GATEWAY_DENOM,
    minConfirmations: e.GATEWAY_MIN_CONFIRMATIONS,
  };
  return assembleNetworks(primary, extra, e.GATEWAY_NETWORKS?.length ? "GATEWAY_NETWORKS" : "GATEWAY_NETWORKS_FILE", problems);
}

/** GATEWAY_TLS_*: which settings go together, and files that are readable and make a working TLS context. */
function tlsConfig(e: ReturnType<typeof envSchema.parse>, problems: string[]): TlsConfig | undefined {
  const { GATEWAY_TLS_CERT_FILE: certFile, GATEWAY_TLS_KEY_FILE: keyFile, GATEWAY_TLS_CLIENT_CA_FILE: clientCaFile } = e;
  if ((certFile === undefined) !== (keyFile === undefined)) {
    problems.push("GATEWAY_TLS_CERT_FILE and GATEWAY_TLS_KEY_FILE go together: set both or neither");
    return undefined;
  }
  if (certFile === undefined || keyFile === undefined) {
    if (clientCaFile !== undefined)
      problems.push("GATEWAY_TLS_CLIENT_CA_FILE needs GATEWAY_TLS_CERT_FILE and GATEWAY_TLS_KEY_FILE (mTLS is TLS first)");
    if (e.GATEWAY_TLS_MANAGE_CLIENT_CERT)
      problems.push(
        "GATEWAY_TLS_MANAGE_CLIENT_CERT needs TLS (GATEWAY_TLS_CERT_FILE, GATEWAY_TLS_KEY_FILE) and GATEWAY_TLS_CLIENT_CA_FILE",
      );
    return undefined;
  }
  if (e.GATEWAY_TLS_MANAGE_CLIENT_CERT && clientCaFile === undefined)
    problems.push("GATEWAY_TLS_MANAGE_CLIENT_CERT needs GATEWAY_TLS_CLIENT_CA_FILE (the CA client certificates must chain to)");
  try {
    readTlsMaterial({ certFile, keyFile, clientCaFile });
  } catch (err) {
    problems.push((err as Error).message);
  }
  return Object.freeze({
    certFile,
    keyFile,
    clientCaFile,
    reloadMs: e.GATEWAY_TLS_RELOAD_MS,
    manageClientCert: e.GATEWAY_TLS_MANAGE_CLIENT_CERT,
  });
}
