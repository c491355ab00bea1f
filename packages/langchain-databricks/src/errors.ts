/**
 * The one error hierarchy of the package. Every failure a user can see is a {@link DatabricksError}:
 *
 * - {@link DatabricksConfigError}: bad options or environment, thrown before any request.
 * - {@link DatabricksAPIError}: the server answered with a non-2xx status (one subclass per family).
 * - {@link DatabricksConnectionError} / {@link DatabricksTimeoutError}: no usable answer arrived.
 * - {@link DatabricksAbortError}: the caller cancelled; never retried.
 * - {@link DatabricksResponseError}: a 2xx answer whose body is not what the endpoint promised.
 * - {@link DatabricksCredentialsError}: getting credentials (an OAuth token) failed.
 *
 * Errors carry `status` and `headers` so LangChain's `AsyncCaller` and our retry layer can classify
 * them with `instanceof` (or the `isDatabricks…Error` guards, which also recognise errors from
 * another copy of this package) and numbers, never by sniffing messages. Where LangChain has an
 * error code for a failure, the error carries it as `lc_error_code` ({@link LangChainErrorCode}).
 *
 * Messages and `toJSON()` never contain credentials: request headers are not stored, every message
 * goes through `redactSecrets` (credential-shaped text), and the client that threw an error has
 * scrubbed its own secrets from it (`redaction.ts`). Reading error bodies lives next to the
 * transport (`transport/error_body.ts`); the class each status and error code maps to lives here.
 */

import { redactSecrets } from "./redaction.js";
import { readErrorAnswer, type APIErrorInit } from "./transport/error_body.js";

export type { APIErrorInit } from "./transport/error_body.js";

/**
 * The `lc_error_code` values this package sets: the codes of `@langchain/core`'s
 * `LangChainErrorCodes` for which LangChain has a troubleshooting page and we can tell the case.
 *
 * | Error | `lc_error_code` |
 * | --- | --- |
 * | {@link DatabricksRateLimitError}, or any API error with status 429 | `MODEL_RATE_LIMIT` |
 * | {@link DatabricksAuthenticationError} (401), and the workspace's `403 Invalid access token.` | `MODEL_AUTHENTICATION` |
 * | {@link DatabricksCredentialsError}, unless the token endpoint was unreachable, throttled or failing (5xx) | `MODEL_AUTHENTICATION` |
 * | {@link DatabricksNotFoundError} (404, `RESOURCE_DOES_NOT_EXIST`, `ENDPOINT_NOT_FOUND`) | `MODEL_NOT_FOUND` |
 * | {@link DatabricksContextOverflowError} | `CONTEXT_OVERFLOW` |
 */
export type LangChainErrorCode =
  "MODEL_RATE_LIMIT" | "MODEL_AUTHENTICATION" | "MODEL_NOT_FOUND" | "CONTEXT_OVERFLOW";

/**
 * Each class's brand: a `Symbol.for` key on its prototype, inherited by subclasses. Registered
 * keys are shared by every copy of this package in a process (its ESM and CommonJS builds, two
 * installed versions), where `instanceof` fails.
 */
// Declared before the classes: their static blocks call `brand` while the module loads.
const BRANDS = new WeakMap<object, symbol>();

function brand(errorClass: { prototype: object }, className: string): void {
  const key = Symbol.for(`langchain-databricks.${className}`);
  Object.defineProperty(errorClass.prototype, key, { value: true });
  BRANDS.set(errorClass, key);
}

function isBranded(value: unknown, errorClass: abstract new (...args: never[]) => Error): boolean {
  if (value instanceof errorClass) return true;
  const key = BRANDS.get(errorClass);
  return (
    key !== undefined &&
    typeof value === "object" &&
    value !== null &&
    (value as Record<symbol, unknown>)[key] === true
  );
}

/** Root of every error thrown by this package. */
export class DatabricksError extends Error {
  static {
    brand(this, "DatabricksError");
  }
  override name = "DatabricksError";
  /**
   * LangChain's code for this failure, when it has one ({@link LangChainErrorCode}); the message
   * then ends with LangChain's troubleshooting link for it.
   */
  declare lc_error_code?: LangChainErrorCode;
  /** Marker that survives realms where `instanceof` fails (see also {@link isDatabricksError}). */
  get isDatabricksError(): true {
    return true;
  }
  constructor(message: string, options?: { cause?: unknown }) {
    super(redactSecrets(message), options);
  }

  /**
   * Set `lc_error_code` and append LangChain's troubleshooting link to the message, exactly as
   * `@langchain/core`'s `addLangChainErrorFields` does (not imported: `@langchain/core/errors` is not
   * an export of every core version this package supports).
   */
  protected useLangChainErrorCode(code: LangChainErrorCode | undefined): void {
    if (code === undefined) return;
    this.lc_error_code = code;
    this.message = `${this.message}\n\nTroubleshooting URL: ${LANGCHAIN_ERRORS_URL}${code}/\n`;
  }

  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      message: this.message,
      ...(this.lc_error_code !== undefined ? { lc_error_code: this.lc_error_code } : {}),
    };
  }
}

/** Where LangChain's troubleshooting page for each `lc_error_code` lives. */
const LANGCHAIN_ERRORS_URL = "https://docs.langchain.com/oss/javascript/langchain/errors/";

/** Invalid options, environment or config file. Thrown at construction, before any request. */
export class DatabricksConfigError extends DatabricksError {
  static {
    brand(this, "DatabricksConfigError");
  }
  override name = "DatabricksConfigError";
}

/** A 2xx answer that cannot be turned into what the caller asked for (wrong shape, bad JSON). */
export class DatabricksResponseError extends DatabricksError {
  static {
    brand(this, "DatabricksResponseError");
  }
  override name = "DatabricksResponseError";
}

/** The request never got an HTTP answer (refused, reset, DNS, TLS). Retried. */
export class DatabricksConnectionError extends DatabricksError {
  static {
    brand(this, "DatabricksConnectionError");
  }
  override name = "DatabricksConnectionError";
  /** The network error's code (`ECONNREFUSED`, `ENOTFOUND`…), when the runtime gave one. */
  networkCode: string | undefined;
  /** Nothing listens on a loopback address: no backoff will change that, so it fails fast. */
  refusedOnLoopback = false;
  /** False for failures no retry can fix (TLS spoken to plain HTTP, an untrusted certificate). */
  retryable = true;
}

/** One attempt exceeded the per-request `timeout`. Retried like a connection failure. */
export class DatabricksTimeoutError extends DatabricksConnectionError {
  static {
    brand(this, "DatabricksTimeoutError");
  }
  override name = "DatabricksTimeoutError";
}

/** The caller's `AbortSignal` fired. Never retried. */
export class DatabricksAbortError extends DatabricksError {
  static {
    brand(this, "DatabricksAbortError");
  }
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
  static {
    brand(this, "DatabricksCredentialsError");
  }
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
    this.useLangChainErrorCode(langChainErrorCodeOf(this));
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), status: this.status, errorCode: this.errorCode };
  }
}

/** The server answered with a non-2xx status. */
export class DatabricksAPIError extends DatabricksError {
  static {
    brand(this, "DatabricksAPIError");
  }
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
    this.useLangChainErrorCode(langChainErrorCodeOf(this));
  }

  /** Build the subclass matching the status, the body's error code and, for a 400, its message. */
  static fromResponse(init: APIErrorInit): DatabricksAPIError {
    const answer = readErrorAnswer(init);
    const { status, errorCode, serverMessage } = answer;
    const Subclass = subclassFor(status, errorCode, serverMessage);
    const where = answer.request ? ` on ${answer.request}` : "";
    const hint = hintFor(Subclass, status, errorCode, serverMessage, answer.request);
    return new Subclass(`HTTP ${status} ${errorCode}${where}: ${serverMessage}${hint}`, {
      status,
      errorCode,
      headers: answer.headers,
      serverMessage,
      requestId: answer.requestId,
    });
  }

  override toJSON(): Record<string, unknown> {
    return {
      ...super.toJSON(),
      status: this.status,
      errorCode: this.errorCode,
      requestId: this.requestId,
    };
  }
}

/** 400 (and `INVALID_PARAMETER_VALUE`, `INVALID_STATE`): the request body was refused. */
export class DatabricksBadRequestError extends DatabricksAPIError {
  static {
    brand(this, "DatabricksBadRequestError");
  }
  override name = "DatabricksBadRequestError";
}
/**
 * A 400 saying the input (messages or prompt, plus the room reserved for `maxTokens`) does not fit
 * the model's context window. LangChain recognises it as its own `ContextOverflowError`
 * (`ContextOverflowError.isInstance(error)` and `instanceof ContextOverflowError` are true with
 * `@langchain/core` versions that have that class), as `@langchain/openai` and `@langchain/anthropic`
 * report context overflow, while it stays a {@link DatabricksBadRequestError}.
 */
export class DatabricksContextOverflowError extends DatabricksBadRequestError {
  static {
    brand(this, "DatabricksContextOverflowError");
    // `@langchain/core`'s namespace brands (`Symbol.for` keys, so every copy of core agrees):
    // LangChainError and its `context-overflow` subclass. Not imported, for the same reason as
    // `useLangChainErrorCode`.
    for (const key of ["langchain.error", "langchain.error.context-overflow"]) {
      Object.defineProperty(this.prototype, Symbol.for(key), { value: true });
    }
  }
  override name = "DatabricksContextOverflowError";
}
/**
 * A 400 saying the model answers on the Responses API only (`Model databricks-gpt-5-1-codex-max
 * only supports the Responses API. Please use /serving-endpoints/responses instead.`): Codex-style
 * models refuse the chat-completions body `ChatDatabricks` sends; the message says to set
 * `useResponsesApi: true`.
 */
export class DatabricksResponsesApiOnlyError extends DatabricksBadRequestError {
  static {
    brand(this, "DatabricksResponsesApiOnlyError");
  }
  override name = "DatabricksResponsesApiOnlyError";
}
/** 401: no valid credential was sent. */
export class DatabricksAuthenticationError extends DatabricksAPIError {
  static {
    brand(this, "DatabricksAuthenticationError");
  }
  override name = "DatabricksAuthenticationError";
}
/** 403: the credential is invalid or lacks permission (e.g. "Can Query"). */
export class DatabricksPermissionDeniedError extends DatabricksAPIError {
  static {
    brand(this, "DatabricksPermissionDeniedError");
  }
  override name = "DatabricksPermissionDeniedError";
}
/** 404: unknown endpoint, route or resource. */
export class DatabricksNotFoundError extends DatabricksAPIError {
  static {
    brand(this, "DatabricksNotFoundError");
  }
  override name = "DatabricksNotFoundError";
}
/** 409 (and `ABORTED`, `ALREADY_EXISTS`, `RESOURCE_ALREADY_EXISTS`): conflicts with the resource's state. */
export class DatabricksConflictError extends DatabricksAPIError {
  static {
    brand(this, "DatabricksConflictError");
  }
  override name = "DatabricksConflictError";
}
/** 429 (and `REQUEST_LIMIT_EXCEEDED`, `RESOURCE_EXHAUSTED`): throttled. Retried. */
export class DatabricksRateLimitError extends DatabricksAPIError {
  static {
    brand(this, "DatabricksRateLimitError");
  }
  override name = "DatabricksRateLimitError";
}
/** 5xx: the server or the model failed. 500/502/503/504 are retried. */
export class DatabricksServerError extends DatabricksAPIError {
  static {
    brand(this, "DatabricksServerError");
  }
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

/**
 * How servers word "the input does not fit the context window", as `@langchain/openai` and
 * `@langchain/anthropic` recognise it: OpenAI's `context_length_exceeded` code and "maximum context
 * length" / "exceeds the context window" / "Input tokens exceed the configured limit" messages
 * (also vLLM's), Anthropic's "prompt is too long" and "input length and `max_tokens` exceed context
 * limit". Databricks passes the model's own message through inside its `BAD_REQUEST` body.
 */
const CONTEXT_OVERFLOW_WORDINGS =
  /context_length_exceeded|maximum context length|exceeds the context window|input tokens exceed the configured limit|prompt is too long|exceed context limit/i;

/** The AI Gateway's answer to a bad or expired token: `400` with the text body `Invalid Token`. */
const GATEWAY_INVALID_TOKEN = /^\s*invalid token\.?\s*$/i;

/** How the Foundation Model APIs word "this model is not served on chat completions". */
const RESPONSES_API_ONLY_WORDING = /only supports the Responses API/i;

function subclassFor(status: number, errorCode: string, serverMessage: string): APIErrorClass {
  // An error_code mapping overrides the status mapping, as in the official SDKs.
  const byCode = Object.hasOwn(CODE_CLASSES, errorCode) ? CODE_CLASSES[errorCode] : undefined;
  const chosen =
    byCode ??
    STATUS_CLASSES[status] ??
    (status >= 500 ? DatabricksServerError : DatabricksAPIError);
  if (
    chosen === DatabricksBadRequestError &&
    CONTEXT_OVERFLOW_WORDINGS.test(`${errorCode} ${serverMessage}`)
  ) {
    return DatabricksContextOverflowError;
  }
  if (chosen === DatabricksBadRequestError && RESPONSES_API_ONLY_WORDING.test(serverMessage)) {
    return DatabricksResponsesApiOnlyError;
  }
  // A rejected credential, whatever the status: OAuth refreshes once and the hint says what to check.
  if (status === 400 && GATEWAY_INVALID_TOKEN.test(serverMessage)) {
    return DatabricksAuthenticationError;
  }
  return chosen;
}

/** Q7: adaptive-only Claude models refuse sampling parameters by name. */
const UNSUPPORTED_SAMPLING_PARAMETER = /does not support the (temperature|top_p|top_k) parameter/;
const SAMPLING_OPTION: Record<string, string> = {
  temperature: "`temperature`",
  top_p: "`top_p` (in `extraParams`)",
  top_k: "`top_k` (in `extraParams`)",
};

function hintFor(
  errorClass: APIErrorClass,
  status: number,
  errorCode: string,
  serverMessage: string,
  request: string | undefined,
): string {
  const sampling = status === 400 ? UNSUPPORTED_SAMPLING_PARAMETER.exec(serverMessage) : null;
  if (sampling?.[1] !== undefined) {
    return ` (this model chooses its own sampling: remove ${SAMPLING_OPTION[sampling[1]] ?? sampling[1]} from the options)`;
  }
  if (errorClass === DatabricksContextOverflowError) {
    return " (the input does not fit the model's context window: send fewer or shorter messages, or lower `maxTokens`)";
  }
  if (errorClass === DatabricksResponsesApiOnlyError) {
    return " (this model answers on the Responses API only: set `useResponsesApi: true` on ChatDatabricks)";
  }
  // The gateway's answer for a path it does not serve (modern-serving §6.2, §10.16).
  if (status === 404 && errorCode === "ENDPOINT_NOT_FOUND" && request?.includes("/ai-gateway/")) {
    return " (AI Gateway is not enabled on this workspace, or does not serve this route: unset `useAiGateway` to query /serving-endpoints)";
  }
  if (status === 401 || errorClass === DatabricksAuthenticationError) {
    return " (check DATABRICKS_TOKEN / the `token` option, or the OAuth client id and secret)";
  }
  // The gateway refuses OAuth tokens without its scope (modern-serving §6.2).
  if (status === 403 && /required scopes?/i.test(serverMessage)) {
    return " (the OAuth token lacks a scope this route needs: the AI Gateway needs the `ai-gateway` scope; add it to the OAuth app or the token request)";
  }
  if (status === 403) {
    return ' (the credential is invalid or lacks permission: serving endpoints need "Can Query", driver proxy apps "Can Attach To")';
  }
  if (status === 404 && errorCode === "RESOURCE_DOES_NOT_EXIST") {
    return " (check the endpoint name and the workspace host)";
  }
  return "";
}

/**
 * Whether the server refused the credential itself rather than the request: a 401 (or the AI
 * Gateway's `400 Invalid Token`, classed as {@link DatabricksAuthenticationError}), or the 403
 * Databricks answers for an invalid or expired token (docs/PROTOCOL.md §6.1, §7.7). The transport
 * refreshes OAuth credentials once on such an answer.
 */
export function isRejectedCredential(error: unknown): error is DatabricksAPIError {
  return (
    isDatabricksAuthenticationError(error) ||
    (isDatabricksPermissionDeniedError(error) && /invalid access token/i.test(error.serverMessage))
  );
}

/** LangChain's code for `error`: the table of {@link LangChainErrorCode}. */
function langChainErrorCodeOf(error: DatabricksError): LangChainErrorCode | undefined {
  if (error instanceof DatabricksContextOverflowError) return "CONTEXT_OVERFLOW";
  if (error instanceof DatabricksRateLimitError) return "MODEL_RATE_LIMIT";
  if (error instanceof DatabricksAPIError && error.status === 429) return "MODEL_RATE_LIMIT";
  if (isRejectedCredential(error)) return "MODEL_AUTHENTICATION";
  if (error instanceof DatabricksNotFoundError) return "MODEL_NOT_FOUND";
  if (error instanceof DatabricksCredentialsError) {
    // An outage of the token endpoint says nothing about the credentials: LangChain's page
    // ("check your API key") would mislead.
    const status = error.status;
    const outage =
      error.cause instanceof DatabricksConnectionError ||
      (status !== undefined && (status === 429 || status >= 500));
    return outage ? undefined : "MODEL_AUTHENTICATION";
  }
  return undefined;
}

/** A type guard for `errorClass` that also recognises instances from another copy of this package. */
function guardFor<T extends Error>(
  errorClass: abstract new (...args: never[]) => T,
): (value: unknown) => value is T {
  return (value: unknown): value is T => isBranded(value, errorClass);
}

/** Whether `value` is a {@link DatabricksError}, also one from another copy of this package. */
export function isDatabricksError(value: unknown): value is DatabricksError {
  return (
    isBranded(value, DatabricksError) ||
    // Copies of this package older than the brands have only the marker getter.
    (typeof value === "object" &&
      value !== null &&
      (value as { isDatabricksError?: unknown }).isDatabricksError === true)
  );
}
/** Whether `value` is a {@link DatabricksConfigError}, also one from another copy of this package. */
export const isDatabricksConfigError = guardFor(DatabricksConfigError);
/** Whether `value` is a {@link DatabricksResponseError}, also one from another copy of this package. */
export const isDatabricksResponseError = guardFor(DatabricksResponseError);
/** Whether `value` is a {@link DatabricksConnectionError} (or a timeout), also from another copy. */
export const isDatabricksConnectionError = guardFor(DatabricksConnectionError);
/** Whether `value` is a {@link DatabricksTimeoutError}, also one from another copy of this package. */
export const isDatabricksTimeoutError = guardFor(DatabricksTimeoutError);
/** Whether `value` is a {@link DatabricksAbortError}, also one from another copy of this package. */
export const isDatabricksAbortError = guardFor(DatabricksAbortError);
/** Whether `value` is a {@link DatabricksCredentialsError}, also one from another copy. */
export const isDatabricksCredentialsError = guardFor(DatabricksCredentialsError);
/** Whether `value` is a {@link DatabricksAPIError} (any status), also one from another copy. */
export const isDatabricksAPIError = guardFor(DatabricksAPIError);
/** Whether `value` is a {@link DatabricksBadRequestError}, also one from another copy. */
export const isDatabricksBadRequestError = guardFor(DatabricksBadRequestError);
/** Whether `value` is a {@link DatabricksContextOverflowError}, also one from another copy. */
export const isDatabricksContextOverflowError = guardFor(DatabricksContextOverflowError);
/** Whether `value` is a {@link DatabricksResponsesApiOnlyError}, also one from another copy. */
export const isDatabricksResponsesApiOnlyError = guardFor(DatabricksResponsesApiOnlyError);
/** Whether `value` is a {@link DatabricksAuthenticationError}, also one from another copy. */
export const isDatabricksAuthenticationError = guardFor(DatabricksAuthenticationError);
/** Whether `value` is a {@link DatabricksPermissionDeniedError}, also one from another copy. */
export const isDatabricksPermissionDeniedError = guardFor(DatabricksPermissionDeniedError);
/** Whether `value` is a {@link DatabricksNotFoundError}, also one from another copy. */
export const isDatabricksNotFoundError = guardFor(DatabricksNotFoundError);
/** Whether `value` is a {@link DatabricksConflictError}, also one from another copy. */
export const isDatabricksConflictError = guardFor(DatabricksConflictError);
/** Whether `value` is a {@link DatabricksRateLimitError}, also one from another copy. */
export const isDatabricksRateLimitError = guardFor(DatabricksRateLimitError);
/** Whether `value` is a {@link DatabricksServerError}, also one from another copy. */
export const isDatabricksServerError = guardFor(DatabricksServerError);
