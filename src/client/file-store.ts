/**
 * The default PolicyStore: one JSON file, replaced atomically (write a temp file in the same directory,
 * fsync, rename over the old one), so a crash leaves the old or the new state, never half a file.
 * Node-only: node:fs is imported lazily so the rest of the SDK still loads in browsers.
 */
import { clientStateSchema, type ClientState, type PolicyStore } from "./state.js";

/** Default location: $GATE402_CLIENT_STATE, else ~/.gate402/client-state.json. */
async function defaultPath(): Promise<string> {
  const env = globalThis.process?.env?.["GATE402_CLIENT_STATE"];
  if (env) return env;
  const [{ homedir }, { join }] = await Promise.all([import("node:os"), import("node:path")]);
  return join(homedir(), ".gate402", "client-state.json");
}

/**
 * @param path JSON file (created with its directory on first save, mode 0600)
 * @throws on load when the file exists but is not a valid client state (never silently reset a budget)
 */
export function fileStore(path?: string): PolicyStore & { path(): Promise<string> } {
  let resolved: string | undefined = path;
  let seq = 0;
  const where = async () => (resolved ??= await defaultPath());
  return {
    path: where,
    async load(): Promise<ClientState | null> {
      const fs = await import("node:fs/promises");
      let text: string;
      try {
        text = await fs.readFile(await where(), "utf8");
      } catch (err) {
        if (err instanceof Error && "code" in err && err.code === "ENOENT") return null;
        throw err;
      }
      return clientStateSchema.parse(JSON.parse(text));
    },
    async save(state: ClientState): Promise<void> {
      const [fs, { dirname }] = await Promise.all([import("node:fs/promises"), import("node:path")]);
      const file = await where();
      await fs.mkdir(dirname(file), { recursive: true, mode: 0o700 });
      const tmp = `${file}.${globalThis.process?.pid ?? 0}.${++seq}.tmp`;
      const handle = await fs.open(tmp, "w", 0o600);
      try {
        await handle.writeFile(JSON.stringify(state, null, 1));
        await handle.sync();
      } finally {
        await handle.close();
      }
      await fs.rename(tmp, file);
    },
  };
}
