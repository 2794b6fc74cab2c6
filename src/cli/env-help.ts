/**
 * The "Environment:" section of each command's --help, built from the configuration schema so it lists
 * exactly the variables the command reads.
 */
import { COMMAND_ONLY_ENV, envSchema } from "../config/schema.js";

/** Every variable the gateway configuration reads (src/config/schema.ts), in schema order. */
export const CONFIG_ENV: readonly string[] = Object.keys(envSchema.shape).filter((n) => !COMMAND_ONLY_ENV.includes(n));

function wrap(names: readonly string[], indent: string, width = 100): string {
  const lines: string[] = [];
  let line = "";
  for (const n of names) {
    if (line && indent.length + line.length + 1 + n.length > width) {
      lines.push(indent + line);
      line = n;
    } else line = line ? `${line} ${n}` : n;
  }
  if (line) lines.push(indent + line);
  return lines.join("\n");
}

/** A help section: named variables with one line each, then (optionally) the rest as a wrapped list. */
export function envHelp(described: Readonly<Record<string, string>>, rest: readonly string[] = [], restTitle = "also"): string {
  const named = Object.keys(described);
  const width = Math.max(...named.map((n) => n.length), 0) + 2;
  const out = ["", "Environment:"];
  for (const n of named) out.push(`  ${n.padEnd(width)}${described[n]}`);
  const others = rest.filter((n) => !(n in described));
  if (others.length) out.push(`  ${restTitle}:`, wrap(others, "    "));
  out.push('  (meaning and defaults: README.md "Configuration" and docs/design.md)');
  return out.join("\n");
}
