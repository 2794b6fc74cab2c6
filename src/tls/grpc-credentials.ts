/**
 * gRPC server credentials whose certificate can be replaced while the server runs. grpc-js applies an
 * update with `http2SecureServer.setSecureContext()`: new handshakes get the new certificate, open
 * connections and their in-flight calls are untouched. (grpc-js's own FileWatcherCertificateProvider
 * would briefly refuse every connection when it reads a mismatched pair; this class is only ever given
 * a validated pair, see TlsReloader.)
 */
import * as grpc from "@grpc/grpc-js";
import type { SecureContextOptions } from "node:tls";
import type { TlsMaterial } from "./files.js";

/** Context options of `material`: our certificate, and the client CA when there is one. */
export function secureContextOptions(material: TlsMaterial): SecureContextOptions {
  return { cert: material.cert, key: material.key, ...(material.ca ? { ca: material.ca } : {}) };
}

/** Server credentials with `update()`; with a client CA they require and verify client certificates (mTLS). */
export class ReloadableServerCredentials extends grpc.ServerCredentials {
  constructor(material: TlsMaterial) {
    const mtls = material.ca !== undefined;
    super({ requestCert: mtls, rejectUnauthorized: mtls }, secureContextOptions(material));
  }

  /** Serves `material` on new connections from now on. */
  update(material: TlsMaterial): void {
    this.updateSecureContextOptions(secureContextOptions(material));
  }

  _equals(other: grpc.ServerCredentials): boolean {
    return other === this;
  }
}
