/** Environment variables that hold a JSON list (GATEWAY_NETWORKS, GATEWAY_ASSETS). */
import { z } from "zod";

/**
 * A zod schema for an env var holding a JSON array of `entry`: unset or blank is `[]`, text that is not
 * JSON is one issue naming the parse error, and each entry is checked by `entry` (issues carry the index).
 */
export function jsonListEnv<T extends z.ZodTypeAny>(entry: T) {
  return z
    .string()
    .transform((s, ctx) => {
      if (s.trim() === "") return [];
      try {
        return JSON.parse(s) as unknown;
      } catch (err) {
        ctx.addIssue({ code: "custom", message: `not JSON: ${(err as Error).message}` });
        return z.NEVER;
      }
    })
    .pipe(z.array(entry));
}
