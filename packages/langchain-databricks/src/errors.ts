/**
 * The one error hierarchy of the package. Every failure a user can see is a {@link DatabricksError}:
 *
 * - {@link DatabricksConfigError}: bad options or environment, thrown before any request.
 * - {@link DatabricksAPIError}: the server answered with a non-2xx status (one subclass per family).
 * - {@link DatabricksConnectionError} / {@link DatabricksTimeoutError}: no usable answer arrived.
 * - {@link DatabricksAbortError}: the caller cancelled; never retried.
 * - {@link DatabricksResponseError}: a 2xx answer whose body is not what the endpoint promised.
 *
 * Errors carry `status` and `headers` so LangChain's `AsyncCaller` and our retry layer can classify
 * them with `instanceof` and numbers, never by sniffing messages. Messages and `toJSON()` never contain
 * credentials: request headers are not stored, and {@link redactSecrets} scrubs bodies echoed back.
 * Reading error bodies lives next to the transport (`transport/error_body.ts`), redaction in
 * `redaction.ts`.
 */

import { redactSecrets } from "./redaction.js";
import { readErrorAnswer, type APIErrorInit } from "./transport/error_body.js";

export type { APIErrorInit } from "./transport/error_body.js";

/** Root of every error thrown by this package. */
export class DatabricksError extends Error {
  override name = "DatabricksError";
  /** Marker that survives realms where `instanceof` fails. */
  get isDatabricksError(): true {
    return true;
  }
  constructor(message: string, options?: { cause?: unknown }) {
    super(redactSecrets(message), options);
  }
  toJSON(): Record<string, unknown> {
    return { name: this.name, message: this.message };
  }
}

/** Invalid options, environment or config file. Thrown at construction, before any request. */
export class DatabricksConfigError extends DatabricksError {
  override name = "DatabricksConfigError";
}

/** A 2xx answer that cannot be turned into what the caller asked for (wrong shape, bad JSON). */
export class DatabricksResponseError extends DatabricksError {
  override name = "DatabricksResponseError";
}

/** The request never got an HTTP answer (refused, reset, DNS, TLS). Retried. */
export class DatabricksConnectionError extends DatabricksError {
  override name = "DatabricksConnectionError";
}

/** One attempt exceeded the per-request `timeout`. Retried like a connection failure. */
export class DatabricksTimeoutError extends DatabricksConnectionError {
  override name = "DatabricksTimeoutError";
}

/** The caller's `AbortSignal` fired. Never retried. */
export class DatabricksAbortError extends DatabricksError {
  override name = "AbortError";
}

/**
 * Getting credentials failed: the OAuth token endpoint refused the client, could not be reached
 * after retries, or a custom provider returned unusable headers.
 *
 * Deliberately not a {@link DatabricksAPIError}: the token request has already been retried, so
 * the request that needed the token must not retry it again (attempts would multiply), and a 401
 * from the token endpoint must not trigger the transport's "401 → refresh token → retry" rule.
 * The underlying error is the `cause`.
 */
export class DatabricksCredentialsError extends DatabricksError {
  override name = "DatabricksCredentialsError";
  /** HTTP status of the token endpoint's answer, when there was one. */
  readonly status: number | undefined;
  /** Error code of that answer (`UNAUTHENTICATED`, `invalid_client`…), when there was one. */
  readonly errorCode: string | undefined;

  constructor(
    message: string,
    init: { status?: number | undefined; errorCode?: string | undefined; cause?: unknown } = {},
  ) {
    super(message, { cause: init.cause });
    this.status = init.status;
    this.errorCode = init.errorCode;
  }

  override toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      message: this.message,
      status: this.status,
      errorCode: this.errorCode,
    };
  }
}

/** The server answered with a non-2xx status. */
export class DatabricksAPIError extends DatabricksError {
  override name = "DatabricksAPIError";
  readonly status: number;
  /** The body's error code (`RESOURCE_DOES_NOT_EXIST`), or the canonical name for the status. */
  readonly errorCode: string;
  /** Lower-case response headers (never request headers, so never credentials). */
  readonly headers: Record<string, string>;
  /** A request id when the server sent one (`x-request-id`, `x-databricks-request-id` or `[ReqId: …]`). */
  readonly requestId: string | undefined;
  /** The server's own message, without our prefix. */
  readonly serverMessage: string;

  constructor(
    message: string,
    init: {
      status: number;
      errorCode: string;
      headers: Record<string, string>;
      serverMessage: string;
      requestId?: string | undefined;
    },
  ) {
    super(message);
    this.status = init.status;
    this.errorCode = init.errorCode;
    this.headers = init.headers;
    this.serverMessage = redactSecrets(init.serverMessage);
    this.requestId = init.requestId;
  }

  /** Build the subclass matching the status and the body's error code. */
  static fromResponse(init: APIErrorInit): DatabricksAPIError {
    const answer = readErrorAnswer(init);
    const { status, errorCode, serverMessage } = answer;
    const where = answer.request ? ` on ${answer.request}` : "";
    const message = `HTTP ${status} ${errorCode}${where}: ${serverMessage}${hintFor(status, errorCode)}`;
    const Subclass = subclassFor(status, errorCode);
    return new Subclass(message, {
      status,
      errorCode,
      headers: answer.headers,
      serverMessage,
      requestId: answer.requestId,
    });
  }

  override toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      message: this.message,
      status: this.status,
      errorCode: this.errorCode,
      requestId: this.requestId,
    };
  }
}

/** 400 (and `INVALID_PARAMETER_VALUE`, `INVALID_STATE`): the request body was refused. */
export class DatabricksBadRequestError extends DatabricksAPIError {
  override name = "DatabricksBadRequestError";
}
/** 401: no valid credential was sent. */
export class DatabricksAuthenticationError extends DatabricksAPIError {
  override name = "DatabricksAuthenticationError";
}
/** 403: the credential is invalid or lacks permission (e.g. "Can Query"). */
export class DatabricksPermissionDeniedError extends DatabricksAPIError {
  override name = "DatabricksPermissionDeniedError";
}
/** 404: unknown endpoint, route or resource. */
export class DatabricksNotFoundError extends DatabricksAPIError {
  override name = "DatabricksNotFoundError";
}
/** 409 (and `ABORTED`, `ALREADY_EXISTS`, `RESOURCE_ALREADY_EXISTS`): conflicts with the resource's state. */
export class DatabricksConflictError extends DatabricksAPIError {
  override name = "DatabricksConflictError";
}
/** 429 (and `REQUEST_LIMIT_EXCEEDED`, `RESOURCE_EXHAUSTED`): throttled. Retried. */
export class DatabricksRateLimitError extends DatabricksAPIError {
  override name = "DatabricksRateLimitError";
}
/** 5xx: the server or the model failed. 500/502/503/504 are retried. */
export class DatabricksServerError extends DatabricksAPIError {
  override name = "DatabricksServerError";
}

type APIErrorClass = new (
  message: string,
  init: ConstructorParameters<typeof DatabricksAPIError>[1],
) => DatabricksAPIError;

/**
 * Error codes that pick the class whatever the status (the official SDKs' `error_code` mapping,
 * protocol reference §3.2).
 */
const CODE_CLASSES: Readonly<Record<string, APIErrorClass>> = {
  INVALID_PARAMETER_VALUE: DatabricksBadRequestError,
  INVALID_STATE: DatabricksBadRequestError,
  PRIVATE_LINK_VALIDATION_ERROR: DatabricksPermissionDeniedError,
  RESOURCE_DOES_NOT_EXIST: DatabricksNotFoundError,
  ABORTED: DatabricksConflictError,
  ALREADY_EXISTS: DatabricksConflictError,
  RESOURCE_ALREADY_EXISTS: DatabricksConflictError,
  RESOURCE_CONFLICT: DatabricksConflictError,
  REQUEST_LIMIT_EXCEEDED: DatabricksRateLimitError,
  RESOURCE_EXHAUSTED: DatabricksRateLimitError,
  UNKNOWN: DatabricksServerError,
  DATA_LOSS: DatabricksServerError,
};

/** Status families, used when the error code says nothing more specific. */
const STATUS_CLASSES: Readonly<Record<number, APIErrorClass>> = {
  400: DatabricksBadRequestError,
  401: DatabricksAuthenticationError,
  403: DatabricksPermissionDeniedError,
  404: DatabricksNotFoundError,
  409: DatabricksConflictError,
  429: DatabricksRateLimitError,
};

function subclassFor(status: number, errorCode: string): APIErrorClass {
  // An error_code mapping overrides the status mapping, as in the official SDKs.
  const byCode = Object.hasOwn(CODE_CLASSES, errorCode) ? CODE_CLASSES[errorCode] : undefined;
  return (
    byCode ?? STATUS_CLASSES[status] ?? (status >= 500 ? DatabricksServerError : DatabricksAPIError)
  );
}

function hintFor(status: number, errorCode: string): string {
  if (status === 401) {
    return " (check DATABRICKS_TOKEN / the `token` option, or the OAuth client id and secret)";
  }
  if (status === 403) {
    return ' (the credential is invalid or lacks permission: serving endpoints need "Can Query", driver proxy apps "Can Attach To")';
  }
  if (status === 404 && errorCode === "RESOURCE_DOES_NOT_EXIST") {
    return " (check the endpoint name and the workspace host)";
  }
  return "";
}
