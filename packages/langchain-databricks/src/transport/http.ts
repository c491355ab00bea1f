import {
  DatabricksAbortError,
  DatabricksAPIError,
  DatabricksConnectionError,
  DatabricksError,
  DatabricksResponseError,
  DatabricksTimeoutError,
} from "../errors.js";
import { abortError } from "../utils/abort.js";
import { isLoopbackHost } from "../utils/host.js";
import { defaultSender } from "./default_sender.js";
import { fetchSender } from "./fetch_sender.js";
import type { HttpRequest, HttpSender } from "./types.js";

export { defaultSender, undiciSender } from "./default_sender.js";
export { fetchSender } from "./fetch_sender.js";

/**
 * Pick the sender: the user's `fetch` when given; otherwise the runtime's default, chosen and loaded
 * on the first request (undici's keep-alive pool on Node, the global `fetch` elsewhere). Creating a
 * sender loads nothing, so constructing a model stays cheap and works in any runtime.
 */
export function createHttpSender(options: { fetch?: typeof fetch | undefined } = {}): HttpSender {
  return options.fetch ? fetchSender(options.fetch) : defaultSender;
}

/** undici's own timeout errors (its `headersTimeout` / `bodyTimeout`). */
const UNDICI_TIMEOUT_CODES = new Set(["UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT"]);

/**
 * Turn whatever a failed attempt threw into the package's typed error: the caller's abort is
 * final, a timeout or a connection failure is retried, the package's own errors (API, response,
 * credentials) pass through.
 */
export function classifyTransportError(
  error: unknown,
  request: { method: string; url: string; signal?: AbortSignal | undefined; timeoutMs: number },
): Error {
  if (error instanceof DatabricksAPIError || error instanceof DatabricksResponseError) return error;
  const what = describeRequest(request);
  if (request.signal?.aborted) {
    return error instanceof DatabricksAbortError ? error : abortError(request.signal, what);
  }
  const networkCode = networkCodeOf(error);
  if (
    error instanceof DatabricksTimeoutError ||
    (networkCode !== undefined && UNDICI_TIMEOUT_CODES.has(networkCode))
  ) {
    return new DatabricksTimeoutError(
      `${what} timed out after ${request.timeoutMs} ms (the \`timeout\` option)`,
      { cause: error },
    );
  }
  // Already typed (a connection failure, or a credentials error raised while authenticating the
  // attempt): wrapping it as a lost connection would make a refused OAuth client retryable.
  if (error instanceof DatabricksError) return error;
  const cause = networkCause(networkCode, error);
  const { host, hostname } = addressOf(request.url);
  const hint = cause === undefined ? "" : ` (${CAUSE_HINTS[cause](host)})`;
  const failure = new DatabricksConnectionError(
    `${what} failed: ${describeNetworkError(error)}${hint}`,
    { cause: error },
  );
  failure.networkCode = networkCode;
  failure.refusedOnLoopback = cause === "refused" && isLoopbackHost(hostname);
  // Another attempt cannot fix the wrong protocol or an untrusted certificate.
  failure.retryable = cause !== "plain-http" && cause !== "certificate";
  return failure;
}

/** The code of a network error, on the error or its cause (fetch wraps it in a TypeError). */
function networkCodeOf(error: unknown): string | undefined {
  for (let current = error, depth = 0; current instanceof Error && depth < 4; depth++) {
    const code = (current as Error & { code?: unknown }).code;
    if (typeof code === "string") return code;
    current = (current as Error & { cause?: unknown }).cause;
  }
  return undefined;
}

/** The likely cause of a network failure, from its code (or the TLS message when it has none). */
type NetworkCause = "refused" | "dns" | "plain-http" | "certificate" | "reset";

const CERTIFICATE_CODES = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "CERT_HAS_EXPIRED",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

function networkCause(code: string | undefined, error: unknown): NetworkCause | undefined {
  const text = error instanceof Error ? `${error.message} ${String(error.cause ?? "")}` : "";
  if (code === "ECONNREFUSED") return "refused";
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return "dns";
  if (code === "ERR_SSL_WRONG_VERSION_NUMBER" || /wrong version number/i.test(text)) {
    return "plain-http";
  }
  if ((code !== undefined && CERTIFICATE_CODES.has(code)) || /certificate/i.test(text)) {
    return "certificate";
  }
  if (code === "ECONNRESET" || code === "UND_ERR_SOCKET") return "reset";
  return undefined;
}

/** What to check, by cause. */
const CAUSE_HINTS: Record<NetworkCause, (host: string) => string> = {
  refused: (host) =>
    `nothing is listening at ${host}: check the host and port, and that the server is running`,
  dns: (host) =>
    `the host name ${host} does not resolve: check the workspace URL, e.g. DATABRICKS_HOST`,
  "plain-http": () =>
    "TLS was spoken to a server that answers plain HTTP: use an http:// host, as for a local emulator",
  certificate: () =>
    "the server's TLS certificate is not trusted: behind a corporate proxy or CA, point NODE_EXTRA_CA_CERTS at its CA certificate file",
  reset: () => "the connection was closed by the server or a proxy on the way",
};

/** A request URL's `host[:port]`, which the hints name, and its host name alone. */
function addressOf(url: string): { host: string; hostname: string } {
  try {
    const { host, hostname } = new URL(url);
    return { host, hostname };
  } catch {
    return { host: url, hostname: url };
  }
}

function describeNetworkError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as Error & { code?: unknown }).code;
    const cause = (error as Error & { cause?: unknown }).cause;
    const causeText = cause instanceof Error ? ` (${cause.message})` : "";
    return `${typeof code === "string" ? `${code}: ` : ""}${error.message}${causeText}`;
  }
  return String(error);
}

/**
 * Send one attempt and read a JSON answer. Transport failures become
 * {@link DatabricksConnectionError} / {@link DatabricksTimeoutError} / {@link DatabricksAbortError};
 * a non-2xx status becomes a {@link DatabricksAPIError} subclass; a 2xx body that is not JSON becomes
 * a {@link DatabricksResponseError}.
 */
export async function sendJsonOnce(
  sender: HttpSender,
  request: HttpRequest,
): Promise<{ status: number; headers: Record<string, string>; data: unknown }> {
  try {
    const response = await sender(request);
    const text = await response.text();
    if (response.status < 200 || response.status >= 300) {
      throw DatabricksAPIError.fromResponse({
        status: response.status,
        headers: response.headers,
        body: text,
        request: describeRequest(request),
      });
    }
    return {
      status: response.status,
      headers: response.headers,
      data: parseJsonBody(text, request),
    };
  } catch (error) {
    throw classifyTransportError(error, request);
  }
}

/** Parse a 2xx body; an empty body is `null`. */
export function parseJsonBody(text: string, request: { method: string; url: string }): unknown {
  if (text === "") return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    const preview = text.length > 200 ? `${text.slice(0, 200)}…` : text;
    const what = describeRequest(request);
    throw new DatabricksResponseError(`${what} answered with invalid JSON: ${preview}`, {
      cause: "invalid-json",
    });
  }
}

/** `POST /serving-endpoints/x/invocations`: the path only, never the query (it may hold tokens). */
export function describeRequest(request: { method: string; url: string }): string {
  let path = request.url;
  try {
    path = new URL(request.url).pathname;
  } catch {
    // keep the raw string
  }
  return `${request.method} ${path}`;
}
