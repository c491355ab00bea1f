import { AsyncCaller } from "@langchain/core/utils/async_caller";
import type { Serialized, SerializedNotImplemented } from "@langchain/core/load/serializable";
import { resolveDatabricksConfig, type DatabricksAuthOptions } from "./auth/resolve.js";
import { DatabricksConfigError } from "./errors.js";
import { DatabricksClient } from "./transport/client.js";
import { createHttpSender } from "./transport/http.js";

/**
 * Connection options shared by `Databricks`, `ChatDatabricks` and `DatabricksEmbeddings`: where the
 * workspace is, how to authenticate (Databricks unified auth), and how requests behave.
 */
export interface DatabricksConnectionOptions extends DatabricksAuthOptions {
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

/** Constructor fields that are secrets, mapped to the environment variable LangChain restores them from. */
export const CONNECTION_SECRETS = {
  token: "DATABRICKS_TOKEN",
  apiToken: "DATABRICKS_TOKEN",
  clientSecret: "DATABRICKS_CLIENT_SECRET",
} as const;

/** Options of {@link DatabricksConnectionOptions} that are not secrets and are worth serialising. */
export const SERIALIZABLE_CONNECTION_FIELDS = [
  "host",
  "clientId",
  "profile",
  "configFile",
  "authType",
  "allowInsecureHttp",
  "timeout",
  "maxRetries",
] as const;

/**
 * Resolve unified auth synchronously (explicit options > environment > config profile) and build the
 * shared transport. Throws {@link DatabricksConfigError} with what to change.
 */
export function createDatabricksClient(
  options: DatabricksConnectionOptions,
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

/**
 * LangChain's `AsyncCaller` used only for `maxConcurrency`: retrying is the transport's job, so this
 * caller never retries (otherwise LangChain's 6 retries would multiply ours).
 */
export function createCaller(options: { maxConcurrency?: number | undefined }): AsyncCaller {
  return new AsyncCaller({
    maxConcurrency: options.maxConcurrency ?? Infinity,
    maxRetries: 0,
    onFailedAttempt: (error: unknown) => {
      throw error;
    },
  });
}

/**
 * Runs a call through the `AsyncCaller`'s queue only when `maxConcurrency` limits calls; otherwise
 * directly (the queue and its retry wrapper measured 6–10 µs per call, for nothing). Cancellation
 * works either way: the transport checks the signal before sending and during backoff waits.
 */
export function callLimited<T>(
  caller: AsyncCaller,
  maxConcurrency: number | undefined,
  signal: AbortSignal | undefined,
  fn: () => Promise<T>,
): Promise<T> {
  if (maxConcurrency === undefined || !Number.isFinite(maxConcurrency)) return fn();
  return caller.callWithOptions(signal ? { signal } : {}, fn);
}

/**
 * LangChain keeps constructor fields in `lc_kwargs` for serialisation, which would leave a token in
 * plain sight of `console.log(model)`. Replace secret values with a placeholder: `toJSON()` still
 * emits the `{"type": "secret"}` reference (it only needs the key), and nothing prints the value.
 */
export function redactSecretKwargs(kwargs: Record<string, unknown>): Record<string, unknown> {
  const copy = { ...kwargs };
  for (const key of Object.keys(CONNECTION_SECRETS)) {
    if (copy[key] !== undefined) copy[key] = "***";
  }
  return copy;
}

/**
 * Finish a LangChain `toJSON()`: constructor fields holding functions or credential objects
 * (`transformInputFn`, `fetch`, `credentials`…) cannot be serialised, so each becomes a
 * `not_implemented` marker and LangChain's `load` fails clearly instead of silently dropping it.
 */
export function markUnserializableKwargs(
  serialized: Serialized,
  kwargs: Record<string, unknown>,
): Serialized {
  if (serialized.type !== "constructor") return serialized;
  const out = { ...serialized.kwargs };
  for (const [key, value] of Object.entries(kwargs)) {
    if (typeof value !== "function" && key !== "credentials") continue;
    const jsonKey = key.replace(/([A-Z])/g, "_$1").toLowerCase();
    delete out[key];
    out[jsonKey] = {
      lc: 1,
      type: "not_implemented",
      id: [
        `${key} cannot be serialized: construct the model again with it, e.g. new ${serialized.id.at(-1) ?? "Model"}({ ...config, ${key} })`,
      ],
    } satisfies SerializedNotImplemented;
  }
  return { ...serialized, kwargs: out };
}

/**
 * The events of a stream, with its request (and retries) up to the first event counted against
 * `maxConcurrency`; the rest of the stream runs outside the limit. Leaving the loop closes the
 * stream (and so the connection).
 */
export async function* limitedStream<T>(
  caller: AsyncCaller,
  maxConcurrency: number | undefined,
  signal: AbortSignal | undefined,
  events: AsyncGenerator<T>,
): AsyncGenerator<T> {
  try {
    let step = await callLimited(caller, maxConcurrency, signal, () => events.next());
    while (!step.done) {
      yield step.value;
      step = await events.next();
    }
  } finally {
    await events.return(undefined);
  }
}
