/**
 * The spending policy: what an agent may pay, to whom, and how much per request, hour and day.
 * Amounts in the config are bigint uneutaro or decimal NTMPI strings ("0.5" = 500000n); inside, bigint
 * uneutaro only. Checked before any payment; window caps are enforced by the budget (budget.ts).
 */
import { AmountFormatError, parseCoins } from "../money.js";
import { PolicyViolationError } from "./errors.js";
import type { InvoiceAcceptance } from "./invoice.js";

/** bigint = uneutaro; string = decimal NTMPI, e.g. "0.010000". */
export type Amount = bigint | string;

/** What the approver is asked to decide. */
export interface ApprovalRequest {
  readonly kind: "invoice" | "deposit";
  readonly url: string;
  readonly method: string;
  readonly payTo: string;
  /** uneutaro */
  readonly amountMicro: bigint;
  readonly denom: string;
  readonly network: string;
  readonly invoiceId?: string;
}

export interface SpendingPolicy {
  /** hard cap for one payment (required: a hostile 402 must never be able to empty the wallet) */
  readonly maxPerRequest: Amount;
  /** cap over any rolling 60 minutes (absent = no cap) */
  readonly maxPerHour?: Amount;
  /** cap over any rolling 24 hours (absent = no cap) */
  readonly maxPerDay?: Amount;
  /** bech32 recipients we may pay (absent = any) */
  readonly allowedPayTo?: readonly string[];
  /** hostnames we pay for: "api.example.com" or "*.example.com" (absent = any) */
  readonly allowedHosts?: readonly string[];
  /** CAIP-2 networks, default ["cosmos:Neutaro-1"] */
  readonly allowedNetworks?: readonly string[];
  /** denoms, default ["uneutaro"] */
  readonly allowedDenoms?: readonly string[];
  /** bech32 prefix payTo must carry, default "neutaro" */
  readonly prefix?: string;
  /** payments strictly above this ask `approve` first (absent with `approve` set = ask for every payment) */
  readonly approveAbove?: Amount;
  /** human in the loop; false → DENIED_BY_APPROVER. Runs after the budget is reserved, so a full budget never bothers the human. */
  readonly approve?: (request: ApprovalRequest) => Promise<boolean>;
}

/** The policy with amounts parsed and defaults applied; frozen. */
export interface CompiledPolicy {
  readonly maxPerRequestMicro: bigint;
  readonly maxPerHourMicro?: bigint;
  readonly maxPerDayMicro?: bigint;
  readonly allowedPayTo?: ReadonlySet<string>;
  readonly allowedHosts?: readonly string[];
  readonly acceptance: InvoiceAcceptance;
  readonly approveAboveMicro: bigint;
  readonly approve?: (request: ApprovalRequest) => Promise<boolean>;
}

/** Thrown by compilePolicy, listing every problem at once. */
export class PolicyConfigError extends Error {
  override readonly name = "PolicyConfigError";
  constructor(readonly problems: readonly string[]) {
    super(`invalid spending policy: ${problems.join("; ")}`);
  }
}

function amount(name: string, v: Amount | undefined, problems: string[]): bigint | undefined {
  if (v === undefined) return undefined;
  if (typeof v === "bigint") {
    if (v < 0n) problems.push(`${name} is negative`);
    return v;
  }
  try {
    return parseCoins(v);
  } catch (err) {
    if (!(err instanceof AmountFormatError)) throw err;
    problems.push(`${name}: ${err.message}`);
    return undefined;
  }
}

/**
 * Parses and freezes a policy.
 * @throws PolicyConfigError with all problems (bad amounts, empty allow-lists)
 */
export function compilePolicy(p: SpendingPolicy): CompiledPolicy {
  const problems: string[] = [];
  const maxPerRequestMicro = amount("maxPerRequest", p.maxPerRequest, problems);
  if (p.maxPerRequest === undefined) problems.push("maxPerRequest is required");
  const maxPerHourMicro = amount("maxPerHour", p.maxPerHour, problems);
  const maxPerDayMicro = amount("maxPerDay", p.maxPerDay, problems);
  const approveAboveMicro = amount("approveAbove", p.approveAbove, problems) ?? 0n;
  for (const [name, list] of [
    ["allowedPayTo", p.allowedPayTo],
    ["allowedHosts", p.allowedHosts],
    ["allowedNetworks", p.allowedNetworks],
    ["allowedDenoms", p.allowedDenoms],
  ] as const) {
    if (list !== undefined && list.length === 0) problems.push(`${name} is empty (omit it to allow any)`);
  }
  if (problems.length > 0) throw new PolicyConfigError(problems);
  return Object.freeze({
    maxPerRequestMicro: maxPerRequestMicro!,
    maxPerHourMicro,
    maxPerDayMicro,
    approveAboveMicro,
    allowedPayTo: p.allowedPayTo ? new Set(p.allowedPayTo) : undefined,
    allowedHosts: p.allowedHosts?.map((h) => h.toLowerCase()),
    acceptance: Object.freeze({
      networks: [...(p.allowedNetworks ?? ["cosmos:Neutaro-1"])],
      denoms: [...(p.allowedDenoms ?? ["uneutaro"])],
      prefix: p.prefix ?? "neutaro",
    }),
    approve: p.approve,
  });
}

function hostAllowed(patterns: readonly string[], host: string): boolean {
  return patterns.some((p) => (p.startsWith("*.") ? host.endsWith(p.slice(1)) && host.length > p.length - 1 : host === p));
}

/** The facts of one intended payment. */
export interface PaymentIntent {
  readonly url: string;
  readonly payTo: string;
  readonly amountMicro: bigint;
  readonly denom: string;
  readonly network: string;
}

/** @throws PolicyViolationError HOST_NOT_ALLOWED when `url`'s host is outside allowedHosts */
export function checkHost(policy: CompiledPolicy, url: string): void {
  const host = new URL(url).hostname.toLowerCase();
  if (policy.allowedHosts && !hostAllowed(policy.allowedHosts, host))
    throw new PolicyViolationError("HOST_NOT_ALLOWED", `host ${host} is not in allowedHosts`);
}

/**
 * Checks everything that does not depend on past spending: host, network, denom, payTo, per-request cap.
 * @throws PolicyViolationError HOST_NOT_ALLOWED | NETWORK_NOT_ALLOWED | DENOM_NOT_ALLOWED | PAYTO_NOT_ALLOWED | PER_REQUEST_CAP
 */
export function checkStatic(policy: CompiledPolicy, intent: PaymentIntent): void {
  checkHost(policy, intent.url);
  if (!policy.acceptance.networks.includes(intent.network))
    throw new PolicyViolationError("NETWORK_NOT_ALLOWED", `network ${intent.network} is not allowed`);
  if (!policy.acceptance.denoms.includes(intent.denom))
    throw new PolicyViolationError("DENOM_NOT_ALLOWED", `denom ${intent.denom} is not allowed`);
  if (policy.allowedPayTo && !policy.allowedPayTo.has(intent.payTo))
    throw new PolicyViolationError("PAYTO_NOT_ALLOWED", `payTo ${intent.payTo} is not in allowedPayTo`);
  if (intent.amountMicro > policy.maxPerRequestMicro) {
    throw new PolicyViolationError(
      "PER_REQUEST_CAP",
      `${intent.amountMicro} uneutaro is above maxPerRequest ${policy.maxPerRequestMicro} uneutaro`,
    );
  }
}

/** True when this payment must be approved by a human first. */
export function needsApproval(policy: CompiledPolicy, amountMicro: bigint): boolean {
  return policy.approve !== undefined && amountMicro > policy.approveAboveMicro;
}
