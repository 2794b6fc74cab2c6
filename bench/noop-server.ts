/**
 * Baseline for `npm run bench`: the same gRPC ext_authz adapter as gate402, with a check that
 * allows at once — what Check costs with no decision work. Prints its port on stdout.
 */
import { ReloadableServerCredentials } from "../src/tls/grpc-credentials.js";
import { readTlsMaterial } from "../src/tls/files.js";
import { createExtAuthzServer } from "../src/transport/envoy/index.js";

// bench/tls.ts: NOOP_TLS_CERT_FILE + NOOP_TLS_KEY_FILE (+ NOOP_TLS_CLIENT_CA_FILE for mTLS), as gate402 serves them.
const env = process.env;
const credentials =
  env["NOOP_TLS_CERT_FILE"] && env["NOOP_TLS_KEY_FILE"]
    ? new ReloadableServerCredentials(
        readTlsMaterial({
          certFile: env["NOOP_TLS_CERT_FILE"],
          keyFile: env["NOOP_TLS_KEY_FILE"],
          clientCaFile: env["NOOP_TLS_CLIENT_CA_FILE"],
        }),
      )
    : undefined;
const server = createExtAuthzServer({
  credentials,
  check: async () => ({
    kind: "allow",
    decisionId: "noop",
    method: "pass",
    routeId: "noop",
    priceMicro: 0n,
    upstreamHeaders: {},
    headersToRemove: [],
    responseHeaders: {},
  }),
});
const port = await server.listen(Number(process.argv[2] ?? 0), "127.0.0.1");
process.stdout.write(`${port}\n`);
process.on("SIGTERM", () => void server.shutdown(500).then(() => process.exit(0)));
