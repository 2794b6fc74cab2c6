/** Tests use the product's own typed ext_authz client (src/transport/envoy/client.ts). */
export { checkClient, type ExtAuthzClient } from "../../src/transport/envoy/client.js";
