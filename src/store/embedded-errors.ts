/**
 * Why the embedded Postgres server could not start, in one line with the fix, for the CLI to print as is
 * (`gate402: <message>`, exit 1) instead of a stack trace.
 */
export class EmbeddedPostgresError extends Error {
  /** what to do about it, also part of `message` */
  readonly fix: string;

  constructor(cause: string, fix: string, options?: { cause?: unknown }) {
    super(`${cause}; ${fix}`, options);
    this.name = "EmbeddedPostgresError";
    this.fix = fix;
  }
}
