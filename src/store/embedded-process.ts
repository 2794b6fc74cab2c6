/**
 * Runs the Postgres programs as child processes: every spawn failure, early exit and timeout becomes an
 * EmbeddedPostgresError carrying the program's last message (Postgres explains itself on stderr).
 */
import { spawn, type ChildProcess } from "node:child_process";
import type { RunAs } from "./embedded-binaries.js";
import { EmbeddedPostgresError } from "./embedded-errors.js";

export interface SpawnOptions {
  /** root only: the user the program runs as */
  readonly runAs?: RunAs;
  /** each output line (debug logging) */
  readonly onLine?: (line: string) => void;
}

// English messages (we match "ready to accept connections"); C is in every libc.
const ENV = { LC_ALL: "C", LANG: "C" };

/** Keeps the last lines a program printed, to quote the reason it failed. */
class Tail {
  private readonly lines: string[] = [];
  push(line: string): void {
    this.lines.push(line);
    if (this.lines.length > 20) this.lines.shift();
  }
  /** the most telling line: the last FATAL/ERROR, else the last one */
  reason(): string | undefined {
    const bad = [...this.lines].reverse().find((l) => /\b(FATAL|ERROR|PANIC|error|cannot|could not)\b/.test(l));
    return bad ?? this.lines.at(-1);
  }
}

/**
 * Runs the server under a small sh watchdog holding our end of a pipe on its stdin: when this process
 * goes away however it goes (exit, SIGTERM from a test runner, SIGKILL, crash) the pipe reaches EOF and
 * the watchdog asks the server for a fast shutdown, so no server outlives us. stop() closes the pipe too.
 * It also exits with the server's code when the server stops on its own.
 */
const WATCHDOG = [
  "exec 3<&0",
  '"$@" 3<&- </dev/null & pid=$!',
  '(read -r _ <&3; kill -INT "$pid" 2>/dev/null) & reader=$!',
  "exec 3<&-",
  'wait "$pid"; code=$?',
  'kill "$reader" 2>/dev/null',
  'exit "$code"',
].join("\n");

function start(program: string, args: readonly string[], o: SpawnOptions, tail: Tail, watchdog = false): ChildProcess {
  const [file, argv] = watchdog ? ["/bin/sh", ["-c", WATCHDOG, "gate402-postgres-watchdog", program, ...args]] : [program, args];
  const child = spawn(file, argv, {
    env: ENV,
    stdio: [watchdog ? "pipe" : "ignore", "pipe", "pipe"],
    ...(o.runAs && { uid: o.runAs.uid, gid: o.runAs.gid }),
  });
  let partial = "";
  const onData = (chunk: Buffer): void => {
    const text = partial + chunk.toString("utf8");
    const lines = text.split("\n");
    partial = lines.pop() ?? "";
    for (const l of lines) {
      const line = l.trimEnd();
      if (!line) continue;
      tail.push(line);
      o.onLine?.(line);
    }
  };
  // Read both pipes for the child's whole life: a full pipe would block the server.
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);
  return child;
}

function spawnFailure(program: string, err: NodeJS.ErrnoException, o: SpawnOptions): EmbeddedPostgresError {
  const who = o.runAs ? ` as user "${o.runAs.name}"` : "";
  return new EmbeddedPostgresError(
    `cannot run ${program}${who}: ${err.code ?? err.message}`,
    "check that the file is executable and its folders can be entered, or set DATABASE_URL to a PostgreSQL server",
    { cause: err },
  );
}

/**
 * Runs a program to its end (initdb).
 * @throws EmbeddedPostgresError when it cannot be started or exits non-zero (message: its last error line)
 */
export function runToEnd(program: string, args: readonly string[], o: SpawnOptions, what: string): Promise<void> {
  const tail = new Tail();
  return new Promise((resolve, reject) => {
    const child = start(program, args, o, tail);
    child.once("error", (err) => reject(spawnFailure(program, err, o)));
    child.once("close", (code, signal) => {
      if (code === 0) return resolve();
      reject(
        new EmbeddedPostgresError(
          `${what} failed (${signal ?? `exit ${code}`}): ${tail.reason() ?? "no output"}`,
          "set LOG_LEVEL=debug to see its whole output, or set DATABASE_URL to a PostgreSQL server",
        ),
      );
    });
  });
}

/** A running server process. */
export interface ServerProcess {
  readonly child: ChildProcess;
  /** asks for a fast shutdown (SIGINT to the server: sessions ended, clean checkpoint) */
  stop(): void;
  /** resolves once the process has exited */
  readonly exited: Promise<void>;
}

/**
 * Starts a long-running program and resolves once a line matches `ready`.
 * @throws EmbeddedPostgresError when it cannot start, exits first, or is not ready within `timeoutMs`
 */
export function startUntilReady(
  program: string,
  args: readonly string[],
  o: SpawnOptions,
  ready: RegExp,
  timeoutMs: number,
): Promise<ServerProcess> {
  const tail = new Tail();
  let isReady = false;
  return new Promise((resolve, reject) => {
    const child = start(
      program,
      args,
      {
        ...o,
        onLine: (line) => {
          o.onLine?.(line);
          if (!isReady && ready.test(line)) {
            isReady = true;
            clearTimeout(timer);
            resolve({ child, exited, stop: () => void child.stdin?.end() });
          }
        },
      },
      tail,
      true,
    );
    const exited = new Promise<void>((done) => child.once("close", () => done()));
    const timer = setTimeout(() => {
      child.stdin?.end();
      reject(
        new EmbeddedPostgresError(
          `the Postgres server was not ready within ${timeoutMs / 1000} s: ${tail.reason() ?? "no output"}`,
          "set LOG_LEVEL=debug to see its output, or set DATABASE_URL to a PostgreSQL server",
        ),
      );
    }, timeoutMs);
    child.once("error", (err) => {
      clearTimeout(timer);
      reject(spawnFailure(program, err, o));
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      if (!isReady)
        reject(
          new EmbeddedPostgresError(
            `the Postgres server stopped at start (${signal ?? `exit ${code}`}): ${tail.reason() ?? "no output"}`,
            "fix the cause above, or set DATABASE_URL to a PostgreSQL server",
          ),
        );
    });
  });
}
