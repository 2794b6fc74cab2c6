import type pg from "pg";
import type { Logger } from "pino";
import type { GatewayConfig } from "../config/load.js";
import type { PgStore } from "../store/pg-store.js";
import type { RevocationList } from "./auth/revocations.js";
import type { LoginThrottle } from "./auth/throttle.js";
import type { TokenService } from "./auth/tokens.js";
import type { RouteTable } from "../config/route-table.js";

/** What the /manage routes need; built once by the extension (src/manage/extension.ts). */
export interface ManageDeps {
  readonly config: GatewayConfig;
  /** the management pool: separate from the Check path's pool so bulk admin work never starves it */
  readonly pool: pg.Pool;
  readonly store: PgStore;
  readonly log: Logger;
  readonly tokens: TokenService;
  /** revoked tokens, shared by all replicas */
  readonly revocations: RevocationList;
  /** failed-login counting and lockouts, shared by all replicas */
  readonly throttle: LoginThrottle;
  readonly routeTable: RouteTable;
}
