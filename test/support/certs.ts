/**
 * Test-only PKI made with the real `openssl` CLI at test time (no private key is committed): CAs,
 * server certificates for 127.0.0.1/localhost and client certificates, EC P-256 so generation is quick.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface CertFiles {
  readonly certFile: string;
  readonly keyFile: string;
}
export interface Ca extends CertFiles {
  readonly name: string;
}

const openssl = (args: string[], cwd: string) => execFileSync("openssl", args, { cwd, stdio: ["ignore", "pipe", "pipe"] });

/** A temporary directory of certificates; `cleanup()` removes it. */
export class TestPki {
  readonly dir = mkdtempSync(join(tmpdir(), "gate402-pki-"));
  private serial = 1;

  /** A self-signed CA. */
  ca(name: string): Ca {
    const certFile = join(this.dir, `${name}.crt`);
    const keyFile = join(this.dir, `${name}.key`);
    openssl(
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        keyFile,
        "-out",
        certFile,
        "-days",
        "2",
        "-subj",
        `/CN=${name}`,
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
      ],
      this.dir,
    );
    return { name, certFile, keyFile };
  }

  /** A leaf signed by `ca`: a server certificate for 127.0.0.1 and localhost, or a client certificate. */
  leaf(ca: Ca, name: string, kind: "server" | "client"): CertFiles {
    const certFile = join(this.dir, `${name}.crt`);
    const keyFile = join(this.dir, `${name}.key`);
    const csr = join(this.dir, `${name}.csr`);
    const ext = join(this.dir, `${name}.ext`);
    writeFileSync(
      ext,
      kind === "server"
        ? "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n"
        : "extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n",
    );
    openssl(
      ["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", keyFile, "-out", csr, "-subj", `/CN=${name}`],
      this.dir,
    );
    openssl(
      [
        "x509",
        "-req",
        "-in",
        csr,
        "-CA",
        ca.certFile,
        "-CAkey",
        ca.keyFile,
        "-set_serial",
        String(1000 + this.serial++),
        "-days",
        "2",
        "-extfile",
        ext,
        "-out",
        certFile,
      ],
      this.dir,
    );
    return { certFile, keyFile };
  }

  /** Overwrites `target`'s files with `source`'s (a rotation as a Secret update would do it). */
  static copy(source: CertFiles, target: CertFiles): void {
    writeFileSync(target.keyFile, readFileSync(source.keyFile));
    writeFileSync(target.certFile, readFileSync(source.certFile));
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
