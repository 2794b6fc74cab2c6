/**
 * grpc.health.v1.Health (per grpc doc/health-checking.md): Check answers the current status for ""
 * and the Authorization service, NOT_FOUND for other names; Watch sends the current status and then
 * every change until the client cancels or the server shuts down.
 */
import * as grpc from "@grpc/grpc-js";
import type { ServingStatus } from "./types.js";

/** Service names the health service knows: "" is the whole server. */
export const HEALTH_SERVICES: readonly string[] = ["", "envoy.service.auth.v3.Authorization"];

interface HealthRequest {
  service?: unknown;
}
interface HealthResponse {
  status: ServingStatus;
}
type WatchCall = grpc.ServerWritableStream<HealthRequest, HealthResponse>;

/** Mutable serving state shared by Check and open Watch streams. */
export class HealthState {
  private serving = true;
  private readonly watchers = new Set<WatchCall>();

  /** Current status of a known service. */
  status(): ServingStatus {
    return this.serving ? "SERVING" : "NOT_SERVING";
  }

  /** Flips the status and pushes it to every Watch stream. */
  setServing(serving: boolean): void {
    if (this.serving === serving) return;
    this.serving = serving;
    for (const call of this.watchers) call.write({ status: this.status() });
  }

  /** Ends every Watch stream (so a graceful shutdown is not held open by them). */
  endWatches(): void {
    for (const call of this.watchers) call.end();
    this.watchers.clear();
  }

  /** Handlers to register with grpc.Server.addService. */
  handlers(): grpc.UntypedServiceImplementation {
    return {
      Check: (call: grpc.ServerUnaryCall<HealthRequest, HealthResponse>, cb: grpc.sendUnaryData<HealthResponse>) => {
        if (!isKnown(call.request)) {
          cb({ code: grpc.status.NOT_FOUND, details: "unknown service" });
          return;
        }
        cb(null, { status: this.status() });
      },
      Watch: (call: WatchCall) => {
        if (!isKnown(call.request)) {
          call.write({ status: "SERVICE_UNKNOWN" });
        } else {
          call.write({ status: this.status() });
        }
        this.watchers.add(call);
        call.on("cancelled", () => this.watchers.delete(call));
      },
    };
  }
}

function isKnown(request: HealthRequest): boolean {
  const service = typeof request?.service === "string" ? request.service : "";
  return HEALTH_SERVICES.includes(service);
}
