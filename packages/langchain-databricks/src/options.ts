import { resolveDatabricksConfig, type DatabricksAuthOptions } from "./auth/resolve.js";
import { DatabricksConfigError } from "./errors.js";
import { DatabricksClient } from "./transport/client.js";
import { MAX_TIMEOUT_MS } from "./transport/deadline.js";
import { createHttpSender } from "./transport/http.js";
import { describeValue } from "./utils/values.js";

/**
 * Connection options shared by `Databricks`, `ChatDatabricks` and `DatabricksEmbeddings`: where the
 * workspace is, how to authenticate (Databricks unified auth), and how requests behave.
 */
export interface DatabricksConnectionOptions extends Omit<DatabricksAuthOptions, "clusterId"> {
  /**
   * Per-attempt timeout in milliseconds: the longest wait for the response headers, then for each
   * next piece of the body (a stream may run long while tokens keep coming). Retries get a fresh
   * budget; for a deadline on the whole call, use LangChain's `timeout` call option. A finite
   * number up to 2147483647 (about 24.8 days, the longest timer): `Infinity` is refused.
   * @default 120000
   */
  timeout?: number;
  /**
   * Retries after a failed attempt (429, 500, 502, 503, 504, connection failures, timeouts), with
   * exponential backoff and jitter; a throttling answer's `Retry-After` is honoured.
   * @default 3
   */
  maxRetries?: number;
  /**
   * Base delay of the exponential backoff in milliseconds; a 429 without `Retry-After` waits about
   * twice this.
   * @default 500
   */
  retryBaseDelayMs?: number;
  /**
   * A WHATWG `fetch` to send requests with, instead of the built-in undici keep-alive pool (for tests,
   * proxies or non-Node runtimes).
   */
  fetch?: typeof fetch;
}

/** Default per-request timeout: the MLflow deployments client's, which users of the Python class know. */
export const DEFAULT_TIMEOUT_MS = 120_000;
/** Default retries after the first attempt. */
export const DEFAULT_MAX_RETRIES = 3;

/**
 * Resolve unified auth synchronously (explicit options > environment > config profile) and build the
 * shared transport. Throws {@link DatabricksConfigError} with what to change.
 */
export function createDatabricksClient(
  options: DatabricksConnectionOptions & { clusterId?: string | undefined },
  env?: Record<string, string | undefined>,
): { client: DatabricksClient; clusterId: string | undefined } {
  const timeoutMs = checkTimeout(options.timeout);
  const maxRetries = checkMaxRetries(options.maxRetries, "the options") ?? DEFAULT_MAX_RETRIES;
  const retryBaseDelayMs = checkRetryBaseDelay(options.retryBaseDelayMs);
  const sender = createHttpSender({ fetch: options.fetch });
  const deps = env ? { env } : {};
  const resolved = resolveDatabricksConfig(options, deps);
  const client = new DatabricksClient({
    host: resolved.host,
    credentials: resolved.credentials,
    sender,
    timeoutMs,
    maxRetries,
    retryBaseDelayMs,
  });
  return { client, clusterId: resolved.clusterId };
}

/**
 * `timeout` checked: a positive, finite number of milliseconds a timer can hold
 * ({@link MAX_TIMEOUT_MS}: a longer one would fire after 1 ms and fail every request). `Infinity`
 * is refused: no sender can wait forever (undici's own 300 s header and body timeouts would still
 * cut the call), and a deadline on the whole call is LangChain's `timeout` call option.
 */
function checkTimeout(timeout: number | undefined): number {
  if (timeout === undefined) return DEFAULT_TIMEOUT_MS;
  if (typeof timeout !== "number" || !(timeout > 0)) {
    throw new DatabricksConfigError(
      `Invalid timeout: ${String(timeout)}. Use a positive number of milliseconds.`,
    );
  }
  if (!(timeout <= MAX_TIMEOUT_MS)) {
    throw new DatabricksConfigError(
      `Invalid timeout: ${timeout}. Use a finite number of milliseconds, at most ${MAX_TIMEOUT_MS} (about 24.8 days); for a deadline on the whole call, use LangChain's \`timeout\` call option.`,
    );
  }
  return timeout;
}

/**
 * What a numeric option must be: an integer, or a finite number (of `unit`), at least `min`;
 * `note` ends the message (what the value means, or the default).
 */
export interface NumberRule {
  integer: boolean;
  min: number;
  unit?: string;
  note?: string;
}

/**
 * The one check of a numeric option, so a NaN, infinite, negative or fractional value fails
 * before any request instead of being sent or silently meaning something else. Unset passes;
 * otherwise a {@link DatabricksConfigError} names the option, where it was given (`where`, e.g.
 * "the call options") and what to use instead.
 */
export function checkNumberOption(
  value: unknown,
  name: string,
  rule: NumberRule,
  where?: string,
): void {
  if (value === undefined) return;
  const valid =
    typeof value === "number" &&
    (rule.integer ? Number.isInteger(value) : Number.isFinite(value)) &&
    value >= rule.min;
  if (valid) return;
  const shown = typeof value === "object" && value !== null ? describeValue(value) : String(value);
  const kind = rule.integer
    ? "an integer"
    : `a finite number${rule.unit === undefined ? "" : ` of ${rule.unit}`}`;
  throw new DatabricksConfigError(
    `Invalid ${name}${where === undefined ? "" : ` in ${where}`}: ${shown}. Use ${kind} >= ${rule.min}${rule.note === undefined ? "" : ` ${rule.note}`}.`,
  );
}

/** `maxRetries` checked, from the options or (`where` = "the call options") a single call. */
export function checkMaxRetries(maxRetries: number | undefined, where: string): number | undefined {
  checkNumberOption(
    maxRetries,
    "maxRetries",
    { integer: true, min: 0, note: "(0 turns retries off)" },
    where,
  );
  return maxRetries;
}

/** `retryBaseDelayMs` checked: NaN or a negative delay would make every backoff wait NaN or 0. */
function checkRetryBaseDelay(delayMs: number | undefined): number | undefined {
  const rule = { integer: false, min: 0, unit: "milliseconds", note: "(default 500)" };
  checkNumberOption(delayMs, "retryBaseDelayMs", rule);
  return delayMs;
}
