import { z } from "zod";

/**
 * The environment schema: one source of truth for every setting's name, type and default
 * (DESIGN.md "Configuration"; every GATEWAY_* name ClawPurse Gateway had keeps its meaning).
 * Values stay strings/numbers here; money is converted to bigint in load.ts.
 */
const port = z.coerce.number().int().min(0).max(65535);
const bool = z.enum(["true", "false", "1", "0", "yes", "no"]).transform((v) => ["true", "1", "yes"].includes(v));

export const envSchema = z.object({
  GATEWAY_HOST: z.string().default("0.0.0.0"),
  GATEWAY_GRPC_PORT: port.default(9191),
  GATEWAY_HTTP_PORT: port.default(4020),
  GATEWAY_PAYMENT_ADDRESS: z.string().regex(/^[a-z]{1,20}1[02-9ac-hj-np-z]{20,90}$/, "must be a bech32 address").optional(),
  /** CometBFT RPC; a comma-separated list fails over in order */
  GATEWAY_RPC: z.string().default("https://rpc2.neutaro.io:443"),
  GATEWAY_CHAIN_ID: z.string().min(1).default("Neutaro-1"),
  GATEWAY_DENOM: z.string().regex(/^[a-z][a-z0-9/:._-]{2,127}$/).default("uneutaro"),
  /** decimal NTMPI, at most 6 decimals */
  GATEWAY_DEFAULT_PRICE: z.string().default("0.001"),
  GATEWAY_ROUTES: z.string().optional(),
  GATEWAY_ROUTES_FILE: z.string().optional(),
  GATEWAY_MIN_CONFIRMATIONS: z.coerce.number().int().min(1).max(1000).default(1),
  /** seconds */
  GATEWAY_INVOICE_TTL: z.coerce.number().int().min(10).max(86_400).default(300),
  GATEWAY_PREPAID: bool.default(true),
  GATEWAY_INVOICE_SECRET: z.string().optional(),
  /** ms; the decision path never waits longer than this for the chain */
  GATEWAY_CHAIN_TIMEOUT_MS: z.coerce.number().int().min(50).max(60_000).default(1500),
  /** log the real decision but allow every request */
  GATEWAY_DRY_RUN: bool.default(false),
  /** public base URL of the HTTP API (for absolute verify/prepaid URLs in 402 bodies); relative when unset */
  GATEWAY_PUBLIC_URL: z.string().url().optional(),
  GATEWAY_DATA_DIR: z.string().default(".data"),
  DATABASE_URL: z.string().optional(),
  JWT_SECRET: z.string().optional(),
  /** one-time secret that lets the first management admin register (POST /manage/auth/register) */
  GATEWAY_ADMIN_BOOTSTRAP_TOKEN: z.string().min(16, "must be at least 16 characters").optional(),
  /** optional OIDC login for /manage: all three or none */
  GATEWAY_OIDC_ISSUER: z.string().min(1).optional(),
  GATEWAY_OIDC_AUDIENCE: z.string().min(1).optional(),
  GATEWAY_OIDC_JWKS_URL: z.string().url().optional(),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
});

export type RawEnv = z.infer<typeof envSchema>;
