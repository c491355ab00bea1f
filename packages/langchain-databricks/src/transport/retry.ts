import { abortError } from "../utils/abort.js";
import {
  DatabricksAbortError,
  DatabricksAPIError,
  DatabricksConnectionError,
  DatabricksResponseError,
} from "../errors.js";

/**
 * The one retry layer of the package. Every request (serving, driver proxy, endpoint metadata,
 * OAuth token) goes through {@link withRetry}; the LangChain classes run their `AsyncCaller` with
 * `maxRetries: 0`, so attempts never multiply.
 *
 * Retried: 429 and `REQUEST_LIMIT_EXCEEDED`/`RESOURCE_EXHAUSTED`, 500, 502, 503, 504, connection
 * failures, per-attempt timeouts, and a 2xx body that is not valid JSON (a truncated proxy answer).
 * Never retried: any other 4xx, an abort, a response of the wrong shape.
 */
export interface RetryOptions {
  /** Retries after the first attempt. 0 disables retrying. */
  maxRetries: number;
  /** Cancels the whole operation, including a backoff wait. */
  signal?: AbortSignal | undefined;
  /** Base of the exponential backoff. @default 500 */
  baseDelayMs?: number | undefined;
  /** Cap of one backoff wait (not of a server's `Retry-After`). @default 8000 */
  maxDelayMs?: number | undefined;
  /** Test hook: replaces the real timer. */
  sleep?: ((ms: number, signal?: AbortSignal) => Promise<void>) | undefined;
  /** Called before each retry wait, e.g. for debug logs. */
  onRetry?: ((info: { attempt: number; delayMs: number; error: unknown }) => void) | undefined;
}

/** Statuses worth another attempt. */
const RETRYABLE_STATUSES = new Set([429, 500, 502, 503, 504]);
const RATE_LIMIT_CODES = new Set(["REQUEST_LIMIT_EXCEEDED", "RESOURCE_EXHAUSTED"]);
/** A server asking for a wait longer than this is not waited for: the error surfaces instead. */
export const MAX_RETRY_AFTER_MS = 60_000;

const IMF_FIXDATE =
  /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;

/** Whether another attempt could succeed. Unknown errors (programming bugs) are not retried. */
export function isRetryable(error: unknown): boolean {
  if (error instanceof DatabricksAbortError) return false;
  if (error instanceof DatabricksConnectionError) return error.retryable;
  if (error instanceof DatabricksAPIError) {
    return RETRYABLE_STATUSES.has(error.status) || RATE_LIMIT_CODES.has(error.errorCode);
  }
  if (error instanceof DatabricksResponseError) return error.cause === "invalid-json";
  return false;
}

/**
 * `Retry-After` in milliseconds: integer seconds, or an HTTP date (IMF-fixdate). `undefined` when
 * absent or invalid (then the 429 waits the default ~1 s).
 */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  // Only a real IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"): Date.parse accepts "1.5" or "-1".
  if (!IMF_FIXDATE.test(trimmed)) return undefined;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Exponential backoff with ±25% jitter: `base × 2^attempt`, capped. */
export function backoffDelay(
  attempt: number,
  baseMs: number,
  capMs: number,
  random = Math.random,
): number {
  const exp = Math.min(capMs, baseMs * 2 ** attempt);
  return Math.round(exp * (0.75 + random() * 0.5));
}

/**
 * How long to wait before retry number `attempt` (0-based), or `undefined` to give up now.
 * A throttling answer waits for its `Retry-After` (plus up to 250 ms of jitter so many clients do not
 * return in lock-step), or about twice the base delay (≈1 s by default) when the header is absent.
 */
export function retryDelay(
  error: unknown,
  attempt: number,
  options: { baseDelayMs: number; maxDelayMs: number },
  random = Math.random,
): number | undefined {
  const backoff = backoffDelay(attempt, options.baseDelayMs, options.maxDelayMs, random);
  if (error instanceof DatabricksAPIError) {
    const retryAfter = parseRetryAfter(error.headers["retry-after"]);
    if (retryAfter !== undefined) {
      if (retryAfter > MAX_RETRY_AFTER_MS) return undefined;
      return retryAfter + Math.round(random() * 250);
    }
    if (error.status === 429 || RATE_LIMIT_CODES.has(error.errorCode)) {
      return Math.max(backoff, Math.round(options.baseDelayMs * 2 * (0.75 + random() * 0.5)));
    }
  }
  return backoff;
}

/**
 * A connection failure that outlived its retries says how many attempts were made over how long,
 * so a user is not left wondering why a call took seconds before failing.
 */
function withAttempts(error: unknown, attempts: number, elapsedMs: number): unknown {
  if (!(error instanceof DatabricksConnectionError) || attempts < 2) return error;
  error.message += ` [${attempts} attempts over ${(elapsedMs / 1000).toFixed(1)} s]`;
  return error;
}

/** Wait `ms`, rejecting with {@link DatabricksAbortError} at once if `signal` fires. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortError(signal, "Request"));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortError(signal as AbortSignal, "Request (during a retry wait)"));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Run `attempt(0)`, then retry it per the policy above until it succeeds or retries run out. */
export async function withRetry<T>(
  attempt: (attemptIndex: number) => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  const sleep = options.sleep ?? abortableSleep;
  const policy = {
    baseDelayMs: options.baseDelayMs ?? 500,
    maxDelayMs: options.maxDelayMs ?? 8000,
  };
  const started = Date.now();
  for (let index = 0; ; index++) {
    if (options.signal?.aborted) {
      throw abortError(options.signal, "Request");
    }
    try {
      return await attempt(index);
    } catch (error) {
      if (!isRetryable(error)) throw error;
      // Nothing listening on loopback will not start listening within a backoff: one retry at most.
      const limit =
        error instanceof DatabricksConnectionError && error.refusedOnLoopback
          ? Math.min(options.maxRetries, 1)
          : options.maxRetries;
      const delayMs = index >= limit ? undefined : retryDelay(error, index, policy);
      if (delayMs === undefined) throw withAttempts(error, index + 1, Date.now() - started);
      options.onRetry?.({ attempt: index + 1, delayMs, error });
      await sleep(delayMs, options.signal);
    }
  }
}
