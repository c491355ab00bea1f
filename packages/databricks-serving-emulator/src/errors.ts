/**
 * The emulator's own errors and status table. The emulator plays the server, so it keeps its own
 * copy of the Databricks error-code names rather than borrowing the client's: a client bug must
 * not be able to hide behind a server that shares its tables.
 */

/** Invalid emulator options or config file: what to change is in the message. */
export class EmulatorConfigError extends Error {
  override name = "EmulatorConfigError";
}

/** The Databricks / MLflow `error_code` name for an HTTP status (`404` → `NOT_FOUND`). */
const STATUS_ERROR_CODES: Readonly<Record<number, string>> = {
  400: "BAD_REQUEST",
  401: "UNAUTHENTICATED",
  403: "PERMISSION_DENIED",
  404: "NOT_FOUND",
  409: "RESOURCE_CONFLICT",
  413: "REQUEST_ENTITY_TOO_LARGE",
  415: "UNSUPPORTED_MEDIA_TYPE",
  429: "REQUEST_LIMIT_EXCEEDED",
  499: "CANCELLED",
  500: "INTERNAL_ERROR",
  501: "NOT_IMPLEMENTED",
  502: "BAD_GATEWAY",
  503: "TEMPORARILY_UNAVAILABLE",
  504: "DEADLINE_EXCEEDED",
};

/** The error-code name for an error status; families fall back to `BAD_REQUEST` / `INTERNAL_ERROR`. */
export function errorCodeForStatus(status: number): string {
  return STATUS_ERROR_CODES[status] ?? (status >= 500 ? "INTERNAL_ERROR" : "BAD_REQUEST");
}
