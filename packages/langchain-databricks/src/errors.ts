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
 */

/** Canonical Databricks error-code names per HTTP status, used when a body has no string code. */
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

/** The canonical error-code name for an HTTP status (`403` → `PERMISSION_DENIED`). */
export function errorCodeForStatus(status: number): string {
  return (
    STATUS_ERROR_CODES[status] ??
    (status >= 500 ? "INTERNAL_ERROR" : status >= 400 ? "BAD_REQUEST" : "UNKNOWN")
  );
}

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

/** What {@link DatabricksAPIError.fromResponse} needs to know about an HTTP answer. */
export interface APIErrorInit {
  status: number;
  /** Response headers, lower-case names. */
  headers: Record<string, string>;
  /** Raw response body text (may be empty, JSON, plain text or HTML). */
  body: string;
  /** Method and path, for the message (`POST /serving-endpoints/x/invocations`). */
  request?: string;
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
    const parsed = parseErrorBody(init.body, init.status, init.headers);
    const errorCode = parsed.errorCode ?? errorCodeForStatus(init.status);
    const requestId =
      init.headers["x-request-id"] ??
      init.headers["x-databricks-request-id"] ??
      /\[ReqId: ([^\]]+)\]/.exec(parsed.message)?.[1];
    const where = init.request ? ` on ${init.request}` : "";
    const message = `HTTP ${init.status} ${errorCode}${where}: ${parsed.message}${hintFor(init.status, errorCode)}`;
    const Subclass = subclassFor(init.status, errorCode);
    return new Subclass(message, {
      status: init.status,
      errorCode,
      headers: init.headers,
      serverMessage: parsed.message,
      requestId,
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
 * docs/PROTOCOL.md §6.2).
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

const MAX_MESSAGE_CHARS = 2000;

/**
 * Parse every error body shape seen from Databricks (docs/PROTOCOL.md §6.1), in order:
 * JSON `{error_code, message}` (string or integer code), JSON `{error: string | {message, code}}`,
 * JSON `{detail}` (SCIM), plain text `CODE: message`, HTML (`<pre>`/`<title>`), empty (status text).
 */
export function parseErrorBody(
  body: string,
  status: number,
  headers: Record<string, string> = {},
): { errorCode: string | undefined; message: string } {
  const text = body.trim();
  const fallback = headers["x-databricks-reason-phrase"] ?? statusText(status);
  if (text === "") return { errorCode: undefined, message: fallback };
  if (text.startsWith("{") || text.startsWith("[") || text.startsWith('"')) {
    try {
      return fromJson(JSON.parse(text) as unknown, fallback);
    } catch {
      // not JSON after all: fall through to text handling
    }
  }
  if (/^\s*<(!doctype|html|head|body)/i.test(text)) {
    const pre = /<pre>([\s\S]*?)<\/pre>/i.exec(text)?.[1];
    const title = /<title>([\s\S]*?)<\/title>/i.exec(text)?.[1];
    const message = decodeEntities((pre ?? title ?? fallback).trim());
    return { errorCode: undefined, message: truncate(message) };
  }
  const coded = /^([A-Z][A-Z0-9_]{2,}):\s*([\s\S]*)$/.exec(text);
  if (coded?.[1] && coded[2] !== undefined) {
    return { errorCode: coded[1], message: truncate(coded[2].trim()) };
  }
  return { errorCode: undefined, message: truncate(text) };
}

function fromJson(
  value: unknown,
  fallback: string,
): { errorCode: string | undefined; message: string } {
  if (typeof value === "string") return { errorCode: undefined, message: truncate(value) };
  if (!value || typeof value !== "object" || Array.isArray(value)) {
    return { errorCode: undefined, message: truncate(JSON.stringify(value)) };
  }
  const obj = value as Record<string, unknown>;
  const code = obj["error_code"] ?? obj["errorCode"];
  // Integer codes ("error_code": 403) are HTTP statuses in disguise: let the status name them.
  const errorCode = typeof code === "string" && code !== "" ? code : undefined;
  let message: unknown = obj["message"];
  const error = obj["error"];
  if (message === undefined && error !== undefined) {
    if (typeof error === "string") message = error;
    else if (error && typeof error === "object") {
      const inner = error as Record<string, unknown>;
      message = inner["message"];
      const innerCode = inner["code"] ?? inner["type"];
      if (errorCode === undefined && typeof innerCode === "string" && innerCode !== "") {
        return { errorCode: innerCode, message: truncate(String(message ?? fallback)) };
      }
    }
    const description = obj["error_description"];
    if (typeof description === "string" && typeof message === "string") {
      // The OAuth shape (RFC 6749 §5.2): `error` is a code such as `invalid_client`.
      return { errorCode: errorCode ?? message, message: truncate(`${message} (${description})`) };
    }
  }
  if (message === undefined && obj["detail"] !== undefined) message = obj["detail"];
  if (message === undefined) message = fallback;
  return {
    errorCode,
    message: truncate(typeof message === "string" ? message : JSON.stringify(message)),
  };
}

function statusText(status: number): string {
  const names: Record<number, string> = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    413: "Payload Too Large",
    415: "Unsupported Media Type",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
  };
  return names[status] ?? `HTTP ${status}`;
}

function decodeEntities(text: string): string {
  return text
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, "&");
}

function truncate(text: string): string {
  return text.length > MAX_MESSAGE_CHARS ? `${text.slice(0, MAX_MESSAGE_CHARS)}…` : text;
}

/**
 * Shorter strings are not treated as secrets: scrubbing every "ab" from messages would mangle
 * them, and no real PAT, client secret or OAuth token is that short.
 */
const MIN_SECRET_LENGTH = 4;

/** Secrets registered by the auth layer, scrubbed from every message we build. */
const knownSecrets = new Set<string>();

/**
 * Remember a secret (PAT, client secret, access token) so that no error message can echo it back,
 * even when a server reflects the request.
 */
export function registerSecret(secret: string | undefined): void {
  if (secret && secret.length >= MIN_SECRET_LENGTH) knownSecrets.add(secret);
}

/** Replace every registered secret and every bearer/basic credential in `text` with `***`. */
export function redactSecrets(text: string): string {
  let out = text;
  for (const secret of knownSecrets) {
    if (out.includes(secret)) out = out.split(secret).join("***");
  }
  return out
    .replace(/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/g, "$1 ***")
    .replace(/\bdapi[0-9a-f]{16,}(-\d+)?\b/g, "***");
}
