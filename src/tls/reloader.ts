/**
 * Watches the TLS files and hands a new, validated TlsMaterial to every listener when any file changes
 * (cert-manager and kubelet replace a Secret volume's files atomically, but a pair copied by hand may be
 * half-written for a moment: such a read fails validation and the current certificate stays in use).
 * Polling, not fs.watch: Secret volumes swap a symlink, which inotify on the file itself does not see.
 */
import type { Logger } from "pino";
import { readTlsMaterial, type TlsFiles, type TlsMaterial } from "./files.js";

export interface TlsReloader {
  /** the material in use now */
  current(): TlsMaterial;
  /** `listener` is called with each new material (not with the current one) */
  onChange(listener: (material: TlsMaterial) => void): void;
  /** reads the files now; resolves true when they changed and listeners were told */
  check(): boolean;
  stop(): void;
}

/**
 * Reads the files now and every `reloadMs`.
 * @throws Error when the files are not usable at start (later failures are logged and skipped)
 */
export function createTlsReloader(files: TlsFiles, reloadMs: number, log: Logger): TlsReloader {
  let material = readTlsMaterial(files);
  const listeners: ((m: TlsMaterial) => void)[] = [];
  let lastError = "";
  const check = (): boolean => {
    let next: TlsMaterial;
    try {
      next = readTlsMaterial(files);
    } catch (err) {
      const message = (err as Error).message;
      if (message !== lastError) log.warn({ err: message }, "TLS files not usable; keeping the current certificate");
      lastError = message;
      return false;
    }
    lastError = "";
    if (next.digest === material.digest) return false;
    material = next;
    for (const l of listeners) {
      try {
        l(next);
      } catch (err) {
        log.error({ err }, "applying the reloaded TLS certificate failed");
      }
    }
    log.info({ certFile: files.certFile }, "TLS certificate reloaded");
    return true;
  };
  const timer = setInterval(check, reloadMs);
  timer.unref();
  return {
    current: () => material,
    onChange: (l) => void listeners.push(l),
    check,
    stop: () => clearInterval(timer),
  };
}
