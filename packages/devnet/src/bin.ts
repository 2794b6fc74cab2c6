#!/usr/bin/env node
/** `gate402-devnet`: the devnet's own command line (the same flags as `gate402 devnet`; see cli.ts). */
import { CommanderError } from "commander";
import { devnetCommand } from "./cli.js";

devnetCommand()
  .name("gate402-devnet")
  .exitOverride()
  .parseAsync(process.argv.slice(2), { from: "user" })
  .catch((err: unknown) => {
    // Commander already printed the usage error; help and version are success.
    if (err instanceof CommanderError) process.exitCode = err.exitCode === 0 || err.code === "commander.helpDisplayed" ? 0 : 2;
    else {
      process.stderr.write(`gate402-devnet: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    }
  });
