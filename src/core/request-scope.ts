import type { RequestFacts } from "./facts.js";
import type { Price } from "./pricing.js";

/**
 * One priced request as the core decides it: built once by gate.ts and passed through every step
 * (pay per request, signed payments, passes, prepaid, the answers), so no step threads facts, price,
 * decision id and stripped headers one by one. Immutable; a step that answers with another price or
 * strip list (a pass allow) spreads a new one.
 */
export interface RequestScope {
  readonly facts: RequestFacts;
  /** the route's price and route id (pricing.ts) */
  readonly price: Price;
  /** unique id of this decision; goes to the log line, dynamic_metadata and ledger references */
  readonly decisionId: string;
  /** proof and credential header names present on the request: stripped before upstream */
  readonly strip: readonly string[];
}
