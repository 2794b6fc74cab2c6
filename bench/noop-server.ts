/**
 * Baseline for `npm run bench`: the same gRPC ext_authz adapter as gate402, with a check that
 * allows at once — what Check costs with no decision work. Prints its port on stdout.
 */
import { createExtAuthzServer } from "../src/transport/envoy/index.js";

const server = createExtAuthzServer({
  check: async () => ({
    kind: "allow", decisionId: "noop", method: "pass", routeId: "noop", priceMicro: 0n,
    upstreamHeaders: {}, headersToRemove: [], responseHeaders: {},
  }),
});
const port = await server.listen(Number(process.argv[2] ?? 0), "127.0.0.1");
process.stdout.write(`${port}\n`);
process.on("SIGTERM", () => void server.shutdown(500).then(() => process.exit(0)));
