/**
 * Envoy's gRPC access log service (envoy.service.accesslog.v3.AccessLogService/StreamAccessLogs), as
 * Envoy's `http_grpc` access logger calls it: a client stream of StreamAccessLogsMessage batches that
 * Envoy keeps open. This adapter only translates: each final HTTP log entry whose dynamic metadata
 * carries an ext_authz decision becomes a LoggedResponse for the sink; everything else is skipped.
 *
 * Backpressure: batches are handled one at a time in arrival order; the stream is paused while
 * MAX_QUEUED batches wait, so a slow database never buffers an unbounded backlog.
 */
import type * as grpc from "@grpc/grpc-js";
import { pino, type Logger } from "pino";
import { z } from "zod";

/** Namespace the ext_authz HTTP filter writes CheckResponse.dynamic_metadata under (its canonical name). */
export const EXT_AUTHZ_NAMESPACE = "envoy.filters.http.ext_authz";

/** One downstream response, as Envoy logged it, for a request an ext_authz decision let through. */
export interface LoggedResponse {
  /** dynamic_metadata.decision_id */
  readonly decisionId: string;
  /** dynamic_metadata.method of a gate402 allow: "invoice" | "prepaid" | "pass" | "free"; undefined: not stated */
  readonly payMethod?: string;
  /** dynamic_metadata.route of a gate402 allow */
  readonly routeId?: string;
  /** true when the metadata is a deny's (it has `reason`): nothing was charged */
  readonly denied: boolean;
  /** HTTP status sent downstream; 0 when Envoy sent none (client went away first) */
  readonly status: number;
  /** names of the ResponseFlags that were set, e.g. "upstream_request_timeout" */
  readonly flags: ReadonlySet<string>;
  /** common_properties.start_time: when Envoy received the request's first byte; undefined when absent */
  readonly startedAt?: Date;
}

/** What the service hands the application, per batch; must not reject (failures are its to log). */
export type AccessLogSink = (entries: readonly LoggedResponse[]) => Promise<void>;

const MAX_QUEUED = 4;

// Only the final log of a downstream stream speaks for the response the client got: upstream attempt
// logs (retried 5xx then 200) and periodic logs must never refund.
const FINAL_LOG_TYPES = new Set(["NotSet", "DownstreamEnd"]);

const value = z.object({ stringValue: z.string().nullish() }).passthrough();
const struct = z.object({ fields: z.record(z.string(), value).nullish() }).nullish();
const entrySchema = z.object({
  common_properties: z
    .object({
      metadata: z.object({ filter_metadata: z.record(z.string(), struct).nullish() }).nullish(),
      response_flags: z.record(z.string(), z.unknown()).nullish(),
      access_log_type: z.string().nullish(),
      intermediate_log_entry: z.boolean().nullish(),
      // google.protobuf.Timestamp; int64 seconds decode as a decimal string (protos.ts longs: String)
      start_time: z.object({ seconds: z.union([z.string(), z.number()]).nullish(), nanos: z.number().nullish() }).nullish(),
    })
    .nullish(),
  response: z.object({ response_code: z.object({ value: z.number().int().nonnegative() }).nullish() }).nullish(),
});
const messageSchema = z.object({
  http_logs: z.object({ log_entry: z.array(z.unknown()).nullish() }).nullish(),
});

type Fields = Record<string, z.infer<typeof value>>;

const str = (fields: Fields, key: string): string | undefined => {
  const v = fields[key]?.stringValue;
  return typeof v === "string" && v !== "" ? v : undefined;
};

/**
 * The decision metadata of an entry: the ext_authz namespace; when absent (an Envoy that names the
 * namespace after the filter's configured name instead), any namespace holding a gate402 allow shape
 * (decision_id with method and route).
 */
function decisionFields(filterMetadata: Record<string, z.infer<typeof struct>> | null | undefined): Fields | null {
  if (!filterMetadata) return null;
  const preferred = filterMetadata[EXT_AUTHZ_NAMESPACE]?.fields;
  if (preferred && str(preferred, "decision_id")) return preferred;
  for (const s of Object.values(filterMetadata)) {
    const f = s?.fields;
    if (f && str(f, "decision_id") && str(f, "method") && str(f, "route")) return f;
  }
  return null;
}

/**
 * HTTPAccessLogEntry (proto-loader object, see protos.ts) → LoggedResponse, or null when the entry
 * carries no decision, is not a final downstream log, or is malformed.
 */
export function toLoggedResponse(entry: unknown): LoggedResponse | null {
  const parsed = entrySchema.safeParse(entry);
  if (!parsed.success) return null;
  const common = parsed.data.common_properties;
  if (common?.intermediate_log_entry) return null;
  if (!FINAL_LOG_TYPES.has(common?.access_log_type ?? "NotSet")) return null;
  const fields = decisionFields(common?.metadata?.filter_metadata);
  const decisionId = fields && str(fields, "decision_id");
  if (!fields || !decisionId) return null;
  const flags = new Set(
    Object.entries(common?.response_flags ?? {})
      .filter(([, v]) => v === true)
      .map(([k]) => k),
  );
  const startedAt = timestamp(common?.start_time);
  return {
    decisionId,
    payMethod: str(fields, "method"),
    routeId: str(fields, "route"),
    denied: str(fields, "reason") !== undefined,
    status: parsed.data.response?.response_code?.value ?? 0,
    flags,
    ...(startedAt ? { startedAt } : {}),
  };
}

/** A google.protobuf.Timestamp as a Date; undefined when unset, zero or out of range. */
function timestamp(t: { seconds?: string | number | null; nanos?: number | null } | null | undefined): Date | undefined {
  const seconds = Number(t?.seconds ?? 0);
  if (!Number.isSafeInteger(seconds) || seconds <= 0) return undefined;
  const d = new Date(seconds * 1000 + Math.floor((t?.nanos ?? 0) / 1e6));
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** The decision-carrying HTTP entries of one StreamAccessLogsMessage (TCP logs carry none). */
export function loggedResponses(message: unknown): LoggedResponse[] {
  const parsed = messageSchema.safeParse(message);
  const entries = parsed.success ? (parsed.data.http_logs?.log_entry ?? []) : [];
  return entries.map(toLoggedResponse).filter((e): e is LoggedResponse => e !== null);
}

/** The service's handlers, and a drain for shutdown. */
export interface AccessLogService {
  /** for grpc-js `addService` (envoy.service.accesslog.v3.AccessLogService) */
  readonly handlers: grpc.UntypedServiceImplementation;
  /**
   * Finishes every open stream: handles what was received, then answers, so Envoy reconnects (to
   * another replica) instead of its stream being cut when the server stops. Envoy never ends them itself.
   */
  drain(): Promise<void>;
}

/** envoy.service.accesslog.v3.AccessLogService over `sink`. */
export function accessLogService(sink: AccessLogSink, logger: Logger = pino({ level: "silent" })): AccessLogService {
  const open = new Set<() => Promise<void>>();
  const StreamAccessLogs: grpc.handleClientStreamingCall<unknown, Record<string, never>> = (call, callback) => {
    let tail = Promise.resolve();
    let queued = 0;
    let finished = false;
    const finish = (err: Error | null): Promise<void> => {
      if (finished) return tail;
      finished = true;
      open.delete(end);
      if (err) logger.debug({ err }, "access log stream ended with an error");
      return tail.then(
        () => callback(null, {}),
        () => callback(null, {}),
      );
    };
    const end = () => finish(null);
    open.add(end);
    call.on("data", (message: unknown) => {
      const entries = loggedResponses(message);
      if (entries.length === 0) return;
      queued += 1;
      if (queued >= MAX_QUEUED) call.pause();
      tail = tail
        .then(() => sink(entries))
        .catch((err: unknown) => logger.error({ err }, "access log batch failed"))
        .finally(() => {
          queued -= 1;
          if (queued < MAX_QUEUED && !finished) call.resume();
        });
    });
    call.on("end", end);
    call.on("error", (err: Error) => void finish(err));
  };
  return {
    handlers: { StreamAccessLogs },
    drain: async () => {
      await Promise.all([...open].map((end) => end()));
    },
  };
}

/** gRPC handlers of envoy.service.accesslog.v3.AccessLogService for grpc-js `addService`. */
export function accessLogHandlers(sink: AccessLogSink, logger?: Logger): grpc.UntypedServiceImplementation {
  return accessLogService(sink, logger).handlers;
}
