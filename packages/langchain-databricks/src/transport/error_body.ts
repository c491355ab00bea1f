/**
 * Reading a non-2xx answer: every error body shape seen from Databricks (docs/PROTOCOL.md §6.1),
 * the canonical error-code names, and the request id. Pure text handling with no imports, so that
 * `DatabricksAPIError.fromResponse` in `errors.ts` can use it without an import cycle.
 */

/** What {@link readErrorAnswer} (and `DatabricksAPIError.fromResponse`) needs to know about an HTTP answer. */
export interface APIErrorInit {
  status: number;
  /** Response headers, lower-case names. */
  headers: Record<string, string>;
  /** Raw response body text (may be empty, JSON, plain text or HTML). */
  body: string;
  /** Method and path, for the message (`POST /serving-endpoints/x/invocations`). */
  request?: string;
}

/** An error answer, read: what the error classes are built from. */
export interface ErrorAnswer {
  status: number;
  headers: Record<string, string>;
  /** The body's error code (`RESOURCE_DOES_NOT_EXIST`), or the canonical name for the status. */
  errorCode: string;
  /** The server's own message. */
  serverMessage: string;
  /** `x-request-id`, `x-databricks-request-id`, or the `[ReqId: …]` inside the message. */
  requestId: string | undefined;
  /** Method and path, when known. */
  request: string | undefined;
}

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

/**
 * The HTTP status an OpenAI-style error `code` names (modern-serving §3.3: the Responses API's
 * `rate_limit_exceeded`, `invalid_prompt`, `image_*`, `empty_*` …): throttling 429, bad input
 * 400, else undefined. The one mapping for every place such a code arrives (a response's
 * `error`, an `error` event, a mid-stream `{"error": {"code"}}` frame), so that one code always
 * gives one error class whatever the frame shape.
 */
export function statusForErrorCode(code: unknown): number | undefined {
  if (code === "rate_limit_exceeded") return 429;
  if (typeof code === "string" && /^invalid_|^(image|empty)_/.test(code)) return 400;
  return undefined;
}

/** Read an error answer: its error code (or the status's canonical one), message and request id. */
export function readErrorAnswer(init: APIErrorInit): ErrorAnswer {
  const parsed = parseErrorBody(init.body, init.status, init.headers);
  return {
    status: init.status,
    headers: init.headers,
    errorCode: parsed.errorCode ?? errorCodeForStatus(init.status),
    serverMessage: parsed.message,
    requestId:
      init.headers["x-request-id"] ??
      init.headers["x-databricks-request-id"] ??
      /\[ReqId: ([^\]]+)\]/.exec(parsed.message)?.[1],
    request: init.request,
  };
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
