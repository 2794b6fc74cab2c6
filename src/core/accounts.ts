import { randomBytes } from "node:crypto";
import type { PrepaidAccount, StorePort } from "../ports/store.js";
import { hashClientKey } from "./credentials.js";

export interface CreatedAccount {
  readonly account: PrepaidAccount;
  /** the secret client key: returned once, stored only as a SHA-256 hash */
  readonly clientKey: string;
}

/**
 * Creates a prepaid account with a fresh client id, a 256-bit secret key and a deposit memo bound
 * to it (deposits are credited only to the account whose memo they carry).
 * Throws StoreUnavailableError.
 */
export async function createPrepaidAccount(store: StorePort, random: (n: number) => Buffer = randomBytes): Promise<CreatedAccount> {
  const clientId = `c_${random(12).toString("base64url")}`;
  const clientKey = `k_${random(32).toString("base64url")}`;
  const depositMemo = `gate402-deposit-${random(15).toString("base64url")}`;
  const account = await store.createAccount({ clientId, keyHash: hashClientKey(clientKey), depositMemo });
  return { account, clientKey };
}
