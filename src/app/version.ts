import { readFileSync } from "node:fs";
import { protoRoot } from "../transport/envoy/protos.js";
import { dirname, join } from "node:path";

/** Package version from package.json (found next to proto/, so it works from src and dist). */
export const VERSION: string = (() => {
  try {
    return (JSON.parse(readFileSync(join(dirname(protoRoot()), "package.json"), "utf8")) as { version: string }).version;
  } catch {
    return "0.0.0";
  }
})();
