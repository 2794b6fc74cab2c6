import { acceptedAssets } from "./asset-deps.js";
import { ChainUnavailableError, StoreUnavailableError } from "../ports/errors.js";
import { allow, denyPlain, denyWithInvoice } from "./answers.js";
import type { CoreDeps } from "./context.js";
import { CREDENTIAL_HEADERS, parseCredentials } from "./credentials.js";
import type { Decision, PayMethod } from "./decision.js";
import type { RequestFacts } from "./facts.js";
import { decidePass, PASS_HEADER, presentedPass } from "./passes/check.js";
import { requestProblem } from "./limits.js";
import { payPerRequest } from "./pay-per-request.js";
import { storeWithDeadline } from "./deadline.js";
import { payFromBalance } from "./prepaid.js";
import { InvalidPathError, resolvePrice, type Price } from "./pricing.js";
import { parseProof, PROOF_HEADERS } from "./proofs.js";
import type { RequestScope } from "./request-scope.js";
import { paySigned } from "./signed-tx/gate.js";

/** The decision core: request facts in, decision out. Transport-agnostic; ports injected. */
export interface Gate {
  /**
   * Decides one request. A request over a limit (limits.ts) or with an ambiguous path is a 400
   * INVALID_REQUEST deny without an invoice, on every transport. Outages become 503 deny decisions
   * (CHAIN_UNAVAILABLE, STORE_UNAVAILABLE), never 402. Throws only on bugs or a broken
   * context_extensions price (PriceConfigError), which adapters surface as a transport error so the
   * proxy's failure policy applies.
   */
  decide(facts: RequestFacts): Promise<Decision>;
}

/** Proof and credential headers present on the request: stripped before upstream. */
function consumedHeaders(facts: RequestFacts, bearerUsed: boolean): string[] {
  const names: string[] = [...PROOF_HEADERS, ...CREDENTIAL_HEADERS].filter((h) => facts.headers[h] !== undefined);
  if (bearerUsed) names.push("authorization");
  return names;
}

/** CAIP-2 ids of the networks some accepted asset lives on, the primary first. */
function acceptedNetworks(deps: CoreDeps): string[] {
  return [...new Set([deps.terms.network, ...acceptedAssets(deps).map((a) => a.network)])];
}

async function decidePaid(deps: CoreDeps, facts: RequestFacts, price: Price, decisionId: string): Promise<Decision> {
  const proof = parseProof(facts.headers, acceptedNetworks(deps));
  const creds = deps.prepaidEnabled ? parseCredentials(facts.headers) : ({ kind: "none" } as const);
  const strip = consumedHeaders(facts, creds.kind === "credentials" && creds.viaAuthorization);
  const scope: RequestScope = { facts, price, decisionId, strip };
  // A pass is checked in memory only: no database, no chain (passes/check.ts).
  const pass = deps.passes && proof.kind === "none" ? presentedPass(facts.headers) : undefined;
  if (deps.passes && pass) return decidePass(deps, deps.passes, scope, pass);
  if (proof.kind === "invalid") return denyWithInvoice(deps, scope, { method: "invoice", reason: "INVALID_PROOF", detail: proof.message });
  if (proof.kind === "proof") {
    const presented = proof.proof;
    return presented.signed !== undefined ? paySigned(deps, scope, presented) : payPerRequest(deps, scope, presented);
  }
  if (creds.kind === "invalid") {
    return denyWithInvoice(deps, scope, { method: "prepaid", reason: "INVALID_CLIENT_CREDENTIALS", detail: creds.message });
  }
  if (creds.kind === "credentials") return payFromBalance(deps, scope, creds.clientId, creds.keyHash);
  return denyWithInvoice(deps, scope, { method: "none", reason: "PAYMENT_REQUIRED" });
}

function methodFor(facts: RequestFacts): PayMethod {
  if (PROOF_HEADERS.some((h) => facts.headers[h] !== undefined)) return "invoice";
  if (facts.headers[PASS_HEADER] !== undefined) return "pass";
  return facts.headers["x-client-id"] !== undefined ? "prepaid" : "none";
}

/** 400 INVALID_REQUEST without an invoice: the request is refused before any price is known. */
function denyInvalidRequest(decisionId: string, problem: string): Decision {
  return denyPlain(decisionId, "none", "default", "INVALID_REQUEST", `Malformed request: ${problem}`);
}

/** Builds the decision core over its injected dependencies. */
export function createGate(deps: CoreDeps): Gate {
  return {
    async decide(facts) {
      const decisionId = deps.newId();
      const problem = requestProblem(facts);
      if (problem) return denyInvalidRequest(decisionId, problem);
      let price: Price;
      try {
        price = resolvePrice(facts, deps.prices);
      } catch (err) {
        if (err instanceof InvalidPathError) return denyInvalidRequest(decisionId, err.message);
        throw err;
      }
      if (price.priceMicro === 0n) {
        const creds = deps.prepaidEnabled ? parseCredentials(facts.headers) : undefined;
        const strip = consumedHeaders(facts, creds?.kind === "credentials" && creds.viaAuthorization);
        return allow({ facts, price, decisionId, strip }, "free");
      }
      try {
        // Wall time on purpose: the deadline bounds real waiting, whatever deps.clock says.
        const deadline = deps.checkDeadlineMs;
        const bound = deadline === undefined ? deps : { ...deps, store: storeWithDeadline(deps.store, Date.now() + deadline) };
        return await decidePaid(bound, facts, price, decisionId);
      } catch (err) {
        const outage =
          err instanceof ChainUnavailableError
            ? "CHAIN_UNAVAILABLE"
            : err instanceof StoreUnavailableError
              ? "STORE_UNAVAILABLE"
              : undefined;
        if (outage) return denyPlain(decisionId, methodFor(facts), price.routeId, outage, undefined, { "retry-after": "2" });
        throw err;
      }
    },
  };
}
