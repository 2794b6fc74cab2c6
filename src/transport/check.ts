/**
 * What every transport (Envoy ext_authz, forward-auth, the HTTP API) calls to decide one request: facts
 * in, a Decision out. The app wires the decision core behind it (src/app/check-handler.ts).
 * Rejects only for failures the transport answers as its internal error (the core's own refusals are
 * Decisions).
 */
import type { Decision } from "../core/decision.js";
import type { RequestFacts } from "../core/facts.js";

export type CheckHandler = (facts: RequestFacts) => Promise<Decision>;
