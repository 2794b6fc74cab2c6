#!/usr/bin/env node
/**
 * gate402 command line (src/cli/program.ts). Exit codes (src/core/catalogue.ts EXIT_CODES): 0 done (and
 * --help, --version), 1 the command failed (one line `gate402: <why>`; the stack only with LOG_LEVEL=debug
 * or trace), 2 usage error (unknown command or flag, bad flag value, no command).
 */
import { CommanderError } from "commander";
import { buildProgram } from "./cli/program.js";
import { exitCode } from "./core/catalogue.js";

const SHOW_STACK = /^(debug|trace)$/.test(process.env["LOG_LEVEL"] ?? "");

/** Exit code for a commander outcome: help and version are success, everything else is usage. */
function usageExitCode(err: CommanderError): number {
  if (err.code === "commander.helpDisplayed" || err.code === "commander.version") return exitCode("OK");
  if (err.code === "commander.help") return exitCode(err.exitCode === 0 ? "OK" : "USAGE"); // no command: help on stderr
  return exitCode("USAGE");
}

async function main(argv: string[]): Promise<void> {
  try {
    await (await buildProgram(argv)).parseAsync(argv, { from: "user" });
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = usageExitCode(err);
      return;
    }
    throw err;
  }
}

main(process.argv.slice(2)).catch((err: unknown) => {
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`gate402: ${message}\n`);
  if (SHOW_STACK && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  process.exit(exitCode("FAILURE"));
});
