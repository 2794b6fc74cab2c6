import type { Logger } from "pino";
import type { GatewayConfig } from "../config/load.js";
import { RevokedPasses } from "../core/passes/revocations.js";
import { createPassTokens, type PassTokens } from "../core/passes/tokens.js";
import { followRevocations } from "../store/pass-revocations.js";

/** Pass tokens and the followed revocation list of one replica. */
export interface PassRuntime {
  readonly tokens: PassTokens;
  readonly revoked: RevokedPasses;
  stop(): Promise<void>;
}

/** Builds the pass signer/verifier and starts following revoked_passes (LISTEN/NOTIFY). */
export async function startPasses(config: GatewayConfig, databaseUrl: string, log: Logger): Promise<PassRuntime> {
  const revoked = new RevokedPasses();
  const follower = followRevocations({ databaseUrl, list: revoked, log: log.child({ component: "pass-revocations" }) });
  await follower.ready;
  return { tokens: createPassTokens(config.passKeys), revoked, stop: () => follower.stop() };
}
