// `npm run lint:deps`: no import circles in src/ and no upward imports between its layers, read by madge
// from the TypeScript sources (type-only imports count: a type circle is still a design circle).
// Layers, lowest first; a module may import its own folder, a lower layer, or its own layer:
//   0 core, ports, money.ts (pure: the decision core and the contracts it states)
//   1 config, tls, observability, chain, store (adapters)
//   2 transport (Envoy ext_authz, forward-auth, HTTP API)
//   3 watcher, manage, x402 (features, started by the app as extensions)
//   4 app (composition root)
//   5 cli, cli.ts, demo (entry points)
// Standalone: client (the agent SDK: itself and money.ts only). The devnet is its own workspace package
// (packages/devnet, "@gate402/devnet"): it imports nothing outside itself, only src/cli imports it, and
// lazy `import()`s are left out of the graph: they are how the CLI keeps the devnet out of
// `gate402 serve`, which is checked too: nothing `serve` loads statically imports the devnet.
import { readFileSync } from "node:fs";
import madge from "madge";

const LAYER = {
  core: 0,
  ports: 0,
  "money.ts": 0,
  config: 1,
  tls: 1,
  observability: 1,
  chain: 1,
  store: 1,
  transport: 2,
  watcher: 3,
  manage: 3,
  x402: 3,
  app: 4,
  cli: 5,
  "cli.ts": 5,
  demo: 5,
};
const STANDALONE = { client: ["client", "money.ts"] };
const DEVNET = "@gate402/devnet";
/** Static imports (and re-exports) of the devnet package in a source text; `import()` is not one. */
const importsDevnet = (text) => new RegExp(`(?:from|import)\\s*["']${DEVNET}(?:/[^"']*)?["']`).test(text);

const top = (file) => file.split("/")[0];
const res = await madge("src", { fileExtensions: ["ts"], tsConfig: "tsconfig.json", detectiveOptions: { ts: { skipAsyncImports: true } } });
const problems = [];
for (const circle of res.circular()) problems.push(`import circle: ${circle.join(" -> ")}`);
for (const [from, deps] of Object.entries(res.obj())) {
  const a = top(from);
  for (const to of deps) {
    const b = top(to);
    if (a === b) continue;
    if (STANDALONE[a]) {
      if (!STANDALONE[a].includes(b)) problems.push(`${from} -> ${to}: src/${a} imports only ${STANDALONE[a].join(", ")}`);
    } else if (STANDALONE[b]) {
      problems.push(`${from} -> ${to}: only src/${b} itself imports src/${b}`);
    } else if (LAYER[a] === undefined || LAYER[b] === undefined) {
      problems.push(`${from} -> ${to}: src/${LAYER[a] === undefined ? a : b} has no layer in scripts/check-imports.mjs`);
    } else if (LAYER[b] > LAYER[a]) {
      problems.push(`${from} -> ${to}: upward import (layer ${LAYER[a]} ${a} -> layer ${LAYER[b]} ${b})`);
    }
  }
}
// What `gate402 serve` loads: the static closure of the entry point and the production commands.
const seen = new Set();
const walk = (f) => {
  if (seen.has(f)) return;
  seen.add(f);
  for (const d of res.obj()[f] ?? []) walk(d);
};
for (const entry of ["cli.ts", "cli/commands.ts", "app/gateway.ts"]) walk(entry);
for (const f of seen)
  if (f.startsWith("cli/dev-") || importsDevnet(readFileSync(`src/${f}`, "utf8"))) problems.push(`gate402 serve loads ${f}`);
// Only the dev commands import the devnet package (lazily reached through src/cli/program.ts).
for (const f of Object.keys(res.obj())) {
  const lazy = readFileSync(`src/${f}`, "utf8").includes(`import("${DEVNET}`);
  if ((importsDevnet(readFileSync(`src/${f}`, "utf8")) || lazy) && top(f) !== "cli")
    problems.push(`src/${f} imports ${DEVNET}: only src/cli does`);
}
// The devnet package: no circles, and nothing imported from outside packages/devnet/src (e.g. gate402's src).
const dev = await madge("packages/devnet/src", { fileExtensions: ["ts"], tsConfig: "packages/devnet/tsconfig.json" });
for (const circle of dev.circular()) problems.push(`import circle in packages/devnet: ${circle.join(" -> ")}`);
for (const [from, deps] of Object.entries(dev.obj())) {
  for (const to of deps)
    if (to.startsWith("..")) problems.push(`packages/devnet/src/${from} -> ${to}: the devnet imports nothing outside itself`);
  if (/from\s*["'](?:gate402|\.\.\/\.\.\/)/.test(readFileSync(`packages/devnet/src/${from}`, "utf8"))) {
    problems.push(`packages/devnet/src/${from} imports gate402: the devnet imports nothing of the product`);
  }
}
const files = Object.keys(res.obj()).length + Object.keys(dev.obj()).length;
if (problems.length > 0) {
  console.error(`lint:deps: ${problems.length} problem(s) in ${files} files under src/ and packages/devnet/src/`);
  for (const p of problems) console.error(`  - ${p}`);
  process.exit(1);
}
console.log(`lint:deps: ${files} files under src/ and packages/devnet/src/, no import circles, no upward imports, devnet apart`);
