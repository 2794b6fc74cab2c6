/**
 * TLS material from PEM files (GATEWAY_TLS_CERT_FILE, GATEWAY_TLS_KEY_FILE, GATEWAY_TLS_CLIENT_CA_FILE):
 * read together and checked with Node's own TLS stack, so a mismatched or half-written pair is an error
 * here and never reaches a listening server.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createSecureContext } from "node:tls";

/** Where the PEM files are; `clientCaFile` set = client certificates are checked against it. */
export interface TlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
  readonly clientCaFile?: string;
}

/** The files' content, and a digest of all of it (changes when any file changes). */
export interface TlsMaterial {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly ca?: Buffer;
  readonly digest: string;
}

/**
 * Reads and validates the files.
 * @throws Error naming the file that is unreadable, or saying the certificate, key or CA is not usable
 */
export function readTlsMaterial(files: TlsFiles): TlsMaterial {
  const read = (what: string, path: string) => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new Error(`${what}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  };
  const cert = read("GATEWAY_TLS_CERT_FILE", files.certFile);
  const key = read("GATEWAY_TLS_KEY_FILE", files.keyFile);
  const ca = files.clientCaFile === undefined ? undefined : read("GATEWAY_TLS_CLIENT_CA_FILE", files.clientCaFile);
  try {
    createSecureContext({ cert, key, ca });
  } catch (err) {
    throw new Error(
      `TLS files ${files.certFile}, ${files.keyFile}${ca ? `, ${files.clientCaFile}` : ""} are not usable: ${(err as Error).message}`,
    );
  }
  if (ca && !/-----BEGIN CERTIFICATE-----/.test(ca.toString("latin1")))
    throw new Error(`GATEWAY_TLS_CLIENT_CA_FILE: ${files.clientCaFile} holds no PEM certificate`);
  const digest = createHash("sha256")
    .update(cert)
    .update("\0")
    .update(key)
    .update("\0")
    .update(ca ?? "")
    .digest("hex");
  return { cert, key, ca, digest };
}
