import { resolveDatabricksConfig, type DatabricksAuthOptions } from "./auth/resolve.js";
import { DatabricksConfigError } from "./errors.js";
import { DatabricksClient } from "./transport/client.js";
import { createHttpSender } from "./transport/http.js";

/**
 * Connection options shared by `Databricks`, `ChatDatabricks` and `DatabricksEmbeddings`: where the
 * workspace is, how to authenticate (Databricks unified auth), and how requests behave.
 */
export interface DatabricksConnectionOptions extends Omit<DatabricksAuthOptions, "clusterId"> {
  /**
   * Per-attempt timeout in milliseconds: the longest wait for the response headers, then for each
   * next piece of the body (a stream may run long while tokens keep coming). Retries get a fresh
   * budget; for a deadline on the whole call, use LangChain's `timeout` call option.
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
  const timeoutMs = options.timeout ?? DEFAULT_TIMEOUT_MS;
  if (!(timeoutMs > 0)) {
    throw new DatabricksConfigError(
      `Invalid timeout: ${String(options.timeout)}. Use a positive number of milliseconds.`,
    );
  }
  const maxRetries = options.maxRetries ?? DEFAULT_MAX_RETRIES;
  if (!Number.isInteger(maxRetries) || maxRetries < 0) {
    throw new DatabricksConfigError(
      `Invalid maxRetries: ${String(options.maxRetries)}. Use an integer >= 0.`,
    );
  }
  const sender = createHttpSender({ fetch: options.fetch });
  const deps = env ? { env } : {};
  const resolved = resolveDatabricksConfig(options, deps);
  const client = new DatabricksClient({
    host: resolved.host,
    credentials: resolved.credentials,
    sender,
    timeoutMs,
    maxRetries,
    retryBaseDelayMs: options.retryBaseDelayMs,
  });
  return { client, clusterId: resolved.clusterId };
}
