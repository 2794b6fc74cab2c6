/**
 * `_FILE` variants of secret settings (as the official Postgres images do): `JWT_SECRET_FILE=/run/secrets/jwt`
 * reads the secret from that file, so it never sits in the environment (`docker inspect`, /proc/<pid>/environ).
 */
import { readFileSync } from "node:fs";

/** Every secret setting; each also accepts `<NAME>_FILE`. */
export const SECRET_VARIABLES = [
  "GATEWAY_INVOICE_SECRET",
  "JWT_SECRET",
  "DATABASE_URL",
  "GATEWAY_ADMIN_BOOTSTRAP_TOKEN",
  "GATEWAY_X402_FACILITATOR_TOKEN",
  "GATEWAY_PREPAID_SIGNUP_TOKEN",
  "GATEWAY_PASS_KEYS",
] as const;

/**
 * Returns a copy of `env` where each `<NAME>_FILE` is replaced by `<NAME>` = the file's content, trailing
 * newlines removed (`echo secret > file` works). Problems (both forms set, unreadable or empty file) are
 * appended to `problems` and the variable's name to `failed` (so it is not reported a second time as missing).
 */
export function resolveSecretFiles(
  env: Record<string, string | undefined>,
  problems: string[],
  failed = new Set<string>(),
): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = { ...env };
  for (const name of SECRET_VARIABLES) {
    const file = env[`${name}_FILE`];
    delete out[`${name}_FILE`];
    if (file === undefined || file === "") continue;
    if (env[name] !== undefined && env[name] !== "") {
      problems.push(`${name} and ${name}_FILE are both set: set only one`);
      failed.add(name);
      continue;
    }
    try {
      const value = readFileSync(file, "utf8").replace(/(\r?\n)+$/, "");
      if (value === "") {
        problems.push(`${name}_FILE: ${file} is empty`);
        failed.add(name);
      } else out[name] = value;
    } catch (err) {
      problems.push(`${name}_FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
      failed.add(name);
    }
  }
  return out;
}
