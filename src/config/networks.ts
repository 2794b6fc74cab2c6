/**
 * The networks gate402 accepts payments on: the primary one (GATEWAY_CHAIN_ID, GATEWAY_RPC,
 * GATEWAY_PAYMENT_ADDRESS, GATEWAY_MIN_CONFIRMATIONS, GATEWAY_DENOM) and additional Cosmos chains from
 * GATEWAY_NETWORKS (JSON) or GATEWAY_NETWORKS_FILE (YAML or JSON), each `{ id: "cosmos:<chain-id>",
 * rpc: [urls], bech32Prefix, payTo, denom, confirmations }`. See docs/design.md "Networks".
 */
import { readFileSync } from "node:fs";
import { fromBech32 } from "@cosmjs/encoding";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { jsonListEnv } from "./json-env.js";

/** One network payments are accepted on, as the chain registry (src/chain/registry.ts) builds it. */
export interface NetworkConfig {
  /** CAIP-2 network id, e.g. "cosmos:Neutaro-1" */
  readonly id: string;
  /** the Cosmos chain id, e.g. "Neutaro-1" (what the RPC nodes' `status` must report) */
  readonly chainId: string;
  /** CometBFT RPC endpoints, tried in order (failover) */
  readonly rpcUrls: readonly string[];
  /** bech32 prefix of addresses on this chain, e.g. "neutaro" */
  readonly bech32Prefix: string;
  /** bech32 address that receives payments on this chain (unique across networks) */
  readonly payTo: string;
  /** the denom the payment watcher counts as money on this chain, e.g. "uneutaro" */
  readonly denom: string;
  /** confirmations a payment needs (latest height − tx height + 1 ≥ this) */
  readonly minConfirmations: number;
  /** true for the GATEWAY_CHAIN_ID network: invoices, prepaid deposits and the legacy metrics are its */
  readonly primary: boolean;
}

/** CAIP-2 `cosmos` namespace: the reference is the chain id, 1–32 of [-_a-zA-Z0-9]. */
export const NETWORK_ID = /^cosmos:[-_a-zA-Z0-9]{1,32}$/;
const DENOM = /^[a-zA-Z][a-zA-Z0-9/:._-]{2,127}$/;
const URL = /^https?:\/\/[^\s,]+$/;

const rpcList = z
  .union([z.string(), z.array(z.string()).min(1, "needs at least one RPC URL")])
  .transform((v) => (typeof v === "string" ? v.split(",") : v).map((s) => s.trim()).filter(Boolean))
  .pipe(z.array(z.string().regex(URL, "must be an http(s) URL")).min(1, "needs at least one RPC URL"));

const networkEntry = z
  .object({
    id: z.string().regex(NETWORK_ID, 'must be a CAIP-2 Cosmos id "cosmos:<chain-id>" (chain id: 1–32 of letters, digits, - and _)'),
    rpc: rpcList,
    bech32Prefix: z.string().regex(/^[a-z][a-z0-9]{0,19}$/, "must be a bech32 prefix (lowercase letters and digits, e.g. cosmos)"),
    payTo: z.string().min(1),
    denom: z.string().regex(DENOM, "must be a Cosmos SDK denom, e.g. uatom or ibc/<hash>"),
    confirmations: z.number().int().min(1).max(1000).default(1),
  })
  .strict()
  .superRefine((n, ctx) => {
    const why = bech32Problem(n.payTo, n.bech32Prefix);
    if (why) ctx.addIssue({ code: "custom", path: ["payTo"], message: why });
  });

/** The additional networks list (GATEWAY_NETWORKS / GATEWAY_NETWORKS_FILE), checked entry by entry. */
export const networkListSchema = z.array(networkEntry);

/** GATEWAY_NETWORKS: a JSON array of network entries (empty or unset: only the primary network). */
export const networksEnvSchema = jsonListEnv(networkEntry);

export type NetworkEntry = z.infer<typeof networkEntry>;

/** Why `address` is not a valid bech32 address with `prefix`, or undefined when it is. */
export function bech32Problem(address: string, prefix: string): string | undefined {
  try {
    const { prefix: got } = fromBech32(address, 90); // BIP-173 length limit (cosmjs default Infinity is refused)
    return got === prefix ? undefined : `"${address}" has prefix "${got}", bech32Prefix is "${prefix}"`;
  } catch (err) {
    return `"${address}" is not a bech32 address (${(err as Error).message})`;
  }
}

/**
 * Reads GATEWAY_NETWORKS_FILE (YAML, which includes JSON): the same list as GATEWAY_NETWORKS.
 * Problems go to `problems`, prefixed with the variable; @returns the entries, [] on any problem
 */
export function readNetworksFile(path: string, problems: string[]): NetworkEntry[] {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(path, "utf8"));
  } catch (err) {
    problems.push(`GATEWAY_NETWORKS_FILE: cannot read ${path}: ${(err as Error).message}`);
    return [];
  }
  const parsed = networkListSchema.safeParse(raw ?? []);
  if (parsed.success) return parsed.data;
  problems.push(...parsed.error.issues.map((i) => `GATEWAY_NETWORKS_FILE (${path}) ${i.path.join(".")}: ${i.message}`));
  return [];
}

/**
 * Every network, the primary first, with the checks that span entries: ids unique (the primary's
 * `cosmos:<GATEWAY_CHAIN_ID>` included) and pay-to addresses unique (payments and the watcher's cursor
 * are keyed by address). Problems go to `problems` (source names the variable).
 */
export function assembleNetworks(
  primary: Omit<NetworkConfig, "primary">,
  extra: readonly NetworkEntry[],
  source: string,
  problems: string[],
): NetworkConfig[] {
  const all: NetworkConfig[] = [{ ...primary, primary: true }];
  for (const [i, n] of extra.entries()) {
    const where = `${source}.${i}`;
    const clash = all.find((o) => o.id === n.id);
    if (clash) problems.push(`${where}.id: "${n.id}" is ${clash.primary ? "the primary network (GATEWAY_CHAIN_ID)" : "listed twice"}`);
    const sameAddress = all.find((o) => o.payTo === n.payTo);
    if (sameAddress)
      problems.push(`${where}.payTo: "${n.payTo}" already receives payments on ${sameAddress.id}; use one address per network`);
    all.push({
      id: n.id,
      chainId: n.id.slice("cosmos:".length),
      rpcUrls: Object.freeze([...n.rpc]),
      bech32Prefix: n.bech32Prefix,
      payTo: n.payTo,
      denom: n.denom,
      minConfirmations: n.confirmations,
      primary: false,
    });
  }
  return all.map((n) => Object.freeze(n));
}

/** The bech32 prefix of a well-formed address ("neutaro" for "neutaro1…"). */
export function prefixOf(address: string): string {
  return address.slice(0, Math.max(0, address.lastIndexOf("1")));
}
