import type {
  CredentialsProvider,
  CredentialsRequest,
  CredentialsTransport,
} from "../credentials_provider.js";
import {
  DatabricksAPIError,
  DatabricksConfigError,
  DatabricksResponseError,
  isRejectedCredential,
} from "../errors.js";
import { SecretRedactor } from "../redaction.js";
import { classifyTransportError, describeRequest, sendJsonOnce } from "./http.js";
import { withRetry, type RetryOptions } from "./retry.js";
import { sseEvents, type SseRules } from "./sse.js";
import type { HttpRequest, HttpResponse, HttpSender } from "./types.js";
import { buildUserAgent } from "./user_agent.js";

/** Everything a {@link DatabricksClient} needs; built once per model instance by `createDatabricksClient`. */
export interface DatabricksClientConfig {
  /** Normalised `scheme://host[:port]`, no trailing slash. */
  host: string;
  credentials: CredentialsProvider;
  sender: HttpSender;
  /** Per-attempt timeout in ms. */
  timeoutMs: number;
  /** Default retries per request (a call may override). */
  maxRetries: number;
  /** Base of the exponential backoff. @default 500 */
  retryBaseDelayMs?: number | undefined;
  /** Test hook: replaces the backoff timer. */
  sleep?: RetryOptions["sleep"];
}

/** Per-request options. */
export interface RequestOptions {
  signal?: AbortSignal | undefined;
  maxRetries?: number | undefined;
  timeoutMs?: number | undefined;
  /** Streams only: called with the response headers once the stream starts (e.g. `served-model-name`). */
  onResponseHeaders?: ((headers: Record<string, string>) => void) | undefined;
  /** Streams only: how this kind of stream departs from the Databricks default. */
  sseRules?: SseRules | undefined;
  /**
   * The endpoint's request-size limit when known to be below {@link MAX_REQUEST_BYTES} (e.g.
   * {@link MAX_REQUEST_BYTES_MODEL_OR_AGENT}); a larger body is refused before sending.
   */
  maxRequestBytes?: number | undefined;
}

/**
 * The one transport every class shares: host, credentials, User-Agent, timeouts and the retry layer.
 * A rejected credential (401, or the workspace's `403 Invalid access token.`) invalidates cached
 * credentials and is retried once (OAuth tokens can be revoked or expire early); it does not count
 * against `maxRetries`, and a PAT, which cannot be refreshed, is not retried.
 *
 * Credentials providers send their own requests (OAuth discovery and token) through the same client,
 * as a {@link CredentialsTransport}: one sender, one User-Agent, one retry layer.
 *
 * Every error the client throws is scrubbed of the secrets its credentials provider holds
 * (`CredentialsProvider.secrets()`), wherever a server echoed them: message, `serverMessage`,
 * headers, `toJSON()`, stack and `cause` chain.
 */
export class DatabricksClient implements CredentialsTransport {
  readonly host: string;
  readonly authType: string;
  private readonly credentials: CredentialsProvider;
  private readonly sender: HttpSender;
  private readonly timeoutMs: number;
  private readonly maxRetries: number;
  private readonly retryBaseDelayMs: number | undefined;
  private readonly sleep: RetryOptions["sleep"];
  private readonly baseHeaders: Record<string, string>;
  private readonly redactor: SecretRedactor;

  constructor(config: DatabricksClientConfig) {
    this.host = config.host;
    this.credentials = config.credentials;
    this.authType = config.credentials.authType;
    this.sender = config.sender;
    this.timeoutMs = config.timeoutMs;
    this.maxRetries = config.maxRetries;
    this.retryBaseDelayMs = config.retryBaseDelayMs;
    this.sleep = config.sleep;
    this.baseHeaders = { "user-agent": buildUserAgent(this.authType) };
    const credentials = config.credentials;
    this.redactor = new SecretRedactor(() => credentials.secrets?.() ?? []);
  }

  /** Absolute URL for a path that starts with `/`. */
  url(path: string): string {
    return `${this.host}${path}`;
  }

  /** Send a JSON request (or a GET) and parse the JSON answer, with retries. */
  async requestJson<T = unknown>(
    method: "GET" | "POST",
    path: string,
    body: unknown,
    options: RequestOptions = {},
  ): Promise<{ data: T; headers: Record<string, string> }> {
    const request = this.request(method, path, body, "application/json", options);
    return this.retrying(options, async () => {
      const result = await sendJsonOnce(this.sender, await this.authenticated(request));
      return { data: result.data as T, headers: result.headers };
    });
  }

  /**
   * POST a streaming request and yield the parsed JSON events of its SSE answer. Retries happen only
   * until the response headers arrive: once the stream has started, a failure is thrown and never
   * silently restarted (that would duplicate text). The timeout bounds the wait for the headers and
   * then each gap between pieces of the stream. Breaking out of the loop or aborting the signal
   * closes the connection.
   */
  async *streamJson(
    path: string,
    body: unknown,
    options: RequestOptions = {},
  ): AsyncGenerator<unknown> {
    const request = this.request("POST", path, body, "text/event-stream", options);
    const res = await this.retrying(options, async () => {
      let response: HttpResponse | undefined;
      try {
        response = await this.sender(await this.authenticated(request));
        if (response.status < 200 || response.status >= 300) {
          throw DatabricksAPIError.fromResponse({
            status: response.status,
            headers: response.headers,
            body: await response.text(),
            request: describeRequest(request),
          });
        }
        return response;
      } catch (error) {
        await response?.discard();
        throw classifyTransportError(error, request);
      }
    });
    try {
      options.onResponseHeaders?.(res.headers);
      yield* sseEvents(res.body, {
        request: describeRequest(request),
        headers: res.headers,
        ...options.sseRules,
      });
    } catch (error) {
      throw this.redactor.redactError(classifyTransportError(error, request));
    } finally {
      await res.discard();
    }
  }

  /**
   * {@link CredentialsTransport}: a credentials provider's own request, with this client's sender,
   * User-Agent, timeout and retries but not its credentials (nor the 401 → refresh rule: a token
   * request cannot be fixed by refreshing the token).
   */
  async requestWithoutCredentials(request: CredentialsRequest): Promise<unknown> {
    const http: HttpRequest = {
      method: request.method,
      url: request.url,
      headers: { ...this.baseHeaders, accept: "application/json", ...request.headers },
      timeoutMs: this.timeoutMs,
    };
    if (request.body !== undefined) http.body = request.body;
    return this.withRetries({}, async () => {
      try {
        return (await sendJsonOnce(this.sender, http)).data;
      } catch (error) {
        const notJson = error instanceof DatabricksResponseError && error.cause === "invalid-json";
        if (notJson && request.onInvalidJson === "undefined") return undefined;
        throw error;
      }
    });
  }

  private request(
    method: "GET" | "POST",
    path: string,
    body: unknown,
    accept: string,
    options: RequestOptions,
  ): HttpRequest {
    const headers: Record<string, string> = { ...this.baseHeaders, accept };
    const request: HttpRequest = {
      method,
      url: this.url(path),
      headers,
      timeoutMs: options.timeoutMs ?? this.timeoutMs,
    };
    if (options.signal) request.signal = options.signal;
    if (method === "POST") {
      headers["content-type"] = "application/json";
      request.body = JSON.stringify(body ?? {});
      checkPayloadSize(request.body, method, path, options.maxRequestBytes ?? MAX_REQUEST_BYTES);
    }
    return request;
  }

  /** The request with the current credentials (fetched per attempt: a 401 may have refreshed them). */
  private async authenticated(request: HttpRequest): Promise<HttpRequest> {
    const auth = await this.credentials.headers(request.signal, this);
    return { ...request, headers: { ...request.headers, ...auth } };
  }

  /** The retry loop plus the one-shot 401 → refresh credentials → retry rule. */
  private retrying<T>(options: RequestOptions, attempt: () => Promise<T>): Promise<T> {
    let refreshedAfter401 = false;
    return this.withRetries(options, async () => {
      try {
        return await attempt();
      } catch (error) {
        if (isRejectedCredential(error) && !refreshedAfter401 && this.credentials.invalidate()) {
          refreshedAfter401 = true;
          return attempt();
        }
        throw error;
      }
    });
  }

  /** The retry layer; what finally fails leaves without this client's secrets. */
  private async withRetries<T>(options: RequestOptions, attempt: () => Promise<T>): Promise<T> {
    try {
      return await withRetry(attempt, {
        maxRetries: options.maxRetries ?? this.maxRetries,
        signal: options.signal,
        baseDelayMs: this.retryBaseDelayMs,
        sleep: this.sleep,
      });
    } catch (error) {
      throw this.redactor.redactError(error);
    }
  }
}

/** Model Serving's request limit: 16 MB per request (docs/PROTOCOL.md §2.9). */
export const MAX_REQUEST_BYTES = 16 * 1024 * 1024;
/**
 * The lower limit of endpoints serving foundation models, external models or agents (4 MB),
 * applied when the caller knows the endpoint is one (`RequestOptions.maxRequestBytes`).
 */
export const MAX_REQUEST_BYTES_MODEL_OR_AGENT = 4 * 1024 * 1024;

let utf8: TextEncoder | undefined;

/**
 * A body over `limit` is refused here, before any request, rather than sent and left for the
 * server to refuse after the upload. Counting bytes costs an encoding only for bodies whose
 * string length could reach the limit (a character is at most 3 UTF-8 bytes). Limits are MiB, so
 * a body the server might still accept (if its "MB" means 10^6) is never refused here.
 */
function checkPayloadSize(body: string, method: string, path: string, limit: number): void {
  if (body.length * 3 <= limit) return;
  utf8 ??= new TextEncoder();
  const bytes = utf8.encode(body).byteLength;
  if (bytes <= limit) return;
  const mb = (n: number) => (n / (1024 * 1024)).toFixed(1);
  const which =
    limit < MAX_REQUEST_BYTES
      ? `the ${mb(limit)} MB limit of endpoints serving foundation models, external models or agents, which this endpoint's metadata says it is`
      : `Model Serving's ${mb(limit)} MB limit (4 MB for foundation-model, external and agent endpoints)`;
  throw new DatabricksConfigError(
    `The request body of ${method} ${path} is ${mb(bytes)} MB, above ${which}: send less text per request (shorter prompts or fewer messages, a smaller batchSize).`,
  );
}
