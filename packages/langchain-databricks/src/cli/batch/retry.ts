/**
 * Which failures `batch` retries, and after how long. The CLI is the one retry layer (the library
 * runs with `maxRetries: 0`), so that it sees every throttling answer: it backs off globally,
 * counts the retry, and honours `Retry-After` from the error's response headers.
 */

/** Retry-After values above this are capped, so one odd header cannot stall a job for hours. */
export const MAX_RETRY_AFTER_MS = 60_000;

/** Statuses that mean "too much load": they lower the concurrency, not only delay the prompt. */
export function isThrottling(error: unknown): boolean {
  const status = statusOf(error);
  return status === 429 || status === 503;
}

/**
 * Whether a failed attempt is worth another: throttling, other server errors (500, 502, 504),
 * timeouts and failed connections. Client errors (400, 401, 403, 404) and unknown errors are not.
 */
export function isRetryable(error: unknown): boolean {
  const status = statusOf(error);
  if (status !== undefined) return status === 408 || status === 429 || status >= 500;
  const name = (error as { name?: unknown }).name;
  return name === "DatabricksConnectionError" || name === "DatabricksTimeoutError";
}

/**
 * Failures that every other prompt would meet too (bad credentials, no permission, no such
 * endpoint): the run stops on the first rather than writing thousands of identical error results.
 */
export function isEndpointWide(error: unknown): boolean {
  const status = statusOf(error);
  return status === 401 || status === 403 || status === 404;
}

/**
 * The delay before retry number `attempt` (1-based): the answer's `Retry-After` (seconds or an
 * HTTP date, capped at {@link MAX_RETRY_AFTER_MS}) when present, else exponential backoff
 * (0.5 s × 2^(attempt − 1), at most 8 s) with up to 25 % jitter.
 */
export function retryDelayMs(error: unknown, attempt: number, now = Date.now()): number {
  const header = headersOf(error)["retry-after"];
  const fromHeader = header === undefined ? undefined : parseRetryAfter(header, now);
  if (fromHeader !== undefined) return Math.min(fromHeader, MAX_RETRY_AFTER_MS);
  const base = Math.min(500 * 2 ** (attempt - 1), 8000);
  return Math.round(base * (1 - Math.random() * 0.25));
}

/** `Retry-After` in ms: delay-seconds or an HTTP date; undefined when unreadable. */
export function parseRetryAfter(value: string, now = Date.now()): number | undefined {
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The HTTP status of a library error, if it has one. */
export function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === "number" ? status : undefined;
}

function headersOf(error: unknown): Record<string, string> {
  const headers = (error as { headers?: unknown } | null)?.headers;
  return typeof headers === "object" && headers !== null ? (headers as Record<string, string>) : {};
}
