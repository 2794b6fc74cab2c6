/**
 * x402 settings (issue 16): how signed-transaction payloads settle and where the facilitator API
 * lives. Parsed from the environment with its own schema so the main schema stays unchanged.
 */
import { z } from "zod";
import { type AmountFormatError, parseCoins } from "../money.js";

export interface X402Config {
  /** GATEWAY_X402_SETTLEMENT: `optimistic` allows once CheckTx admits the tx; `confirmed` waits for inclusion */
  readonly settlement: "optimistic" | "confirmed";
  /** GATEWAY_X402_MAX_UNCONFIRMED: per payer, prices allowed optimistically but not yet confirmed, uneutaro (bigint) */
  readonly maxUnconfirmedMicro: bigint;
  /** GATEWAY_X402_CONFIRM_ABOVE: prices above this always wait for inclusion, uneutaro; undefined: none */
  readonly confirmAboveMicro?: bigint;
  /** GATEWAY_X402_CONFIRM_WAIT_MS: longest wait for inclusion when confirming, ms */
  readonly confirmWaitMs: number;
  /** GATEWAY_X402_CONFIRMER_MS: ms between passes that record the chain's verdict on optimistic allows */
  readonly confirmerPollMs: number;
  /** GATEWAY_X402_FACILITATOR_PATH: base path of POST /verify, POST /settle, GET /supported; "" = off */
  readonly facilitatorPath: string;
  /** GATEWAY_X402_FACILITATOR_TOKEN: when set, verify and settle need `Authorization: Bearer <token>` */
  readonly facilitatorToken?: string;
}

const schema = z.object({
  GATEWAY_X402_SETTLEMENT: z.enum(["optimistic", "confirmed"]).default("optimistic"),
  GATEWAY_X402_MAX_UNCONFIRMED: z.string().default("1"),
  GATEWAY_X402_CONFIRM_ABOVE: z.string().optional(),
  GATEWAY_X402_CONFIRM_WAIT_MS: z.coerce.number().int().min(0).max(120_000).default(15_000),
  GATEWAY_X402_CONFIRMER_MS: z.coerce.number().int().min(20).max(60_000).default(1000),
  GATEWAY_X402_FACILITATOR_PATH: z
    .string()
    .regex(/^(|off|\/[A-Za-z0-9/_-]*[A-Za-z0-9_-])$/, "must be a path like /x402, or off")
    .default("/x402"),
  GATEWAY_X402_FACILITATOR_TOKEN: z.string().min(16, "must be at least 16 characters").optional(),
});

function coins(name: string, value: string, problems: string[]): bigint {
  try {
    return parseCoins(value);
  } catch (err) {
    problems.push(`${name}: ${(err as AmountFormatError).message}`);
    return 0n;
  }
}

/**
 * Reads the GATEWAY_X402_* settings, pushing every problem onto `problems`.
 * @returns the frozen settings (defaults where a value was invalid)
 */
export function loadX402Config(env: Record<string, string | undefined>, problems: string[]): X402Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) problems.push(...parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`));
  const e = parsed.success ? parsed.data : schema.parse({});
  return Object.freeze({
    settlement: e.GATEWAY_X402_SETTLEMENT,
    maxUnconfirmedMicro: coins("GATEWAY_X402_MAX_UNCONFIRMED", e.GATEWAY_X402_MAX_UNCONFIRMED, problems),
    confirmAboveMicro:
      e.GATEWAY_X402_CONFIRM_ABOVE === undefined ? undefined : coins("GATEWAY_X402_CONFIRM_ABOVE", e.GATEWAY_X402_CONFIRM_ABOVE, problems),
    confirmWaitMs: e.GATEWAY_X402_CONFIRM_WAIT_MS,
    confirmerPollMs: e.GATEWAY_X402_CONFIRMER_MS,
    facilitatorPath: e.GATEWAY_X402_FACILITATOR_PATH === "off" ? "" : e.GATEWAY_X402_FACILITATOR_PATH,
    facilitatorToken: e.GATEWAY_X402_FACILITATOR_TOKEN,
  });
}
