import { DatabricksAbortError, DatabricksError } from "../errors.js";

/**
 * `promise`, or a {@link DatabricksAbortError} as soon as `signal` aborts. The promise itself keeps
 * running: it may be shared by other callers (a token refresh, the endpoint metadata request),
 * whom one caller's cancellation must not affect.
 */
export function waitFor<T>(
  promise: Promise<T>,
  signal: AbortSignal | undefined,
  what = "Request",
): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(abortError(signal, what));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortError(signal, what));
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

/**
 * The error for a fired signal: `<what> was aborted`, plus the reason when it was a timeout (the
 * LangChain `timeout` call option aborts with a `TimeoutError`), with the reason as `cause`.
 */
export function abortError(signal: AbortSignal, what: string): DatabricksAbortError {
  const reason: unknown = signal.reason;
  const timedOut = reason instanceof Error && reason.name === "TimeoutError";
  return new DatabricksAbortError(`${what} was aborted${timedOut ? `: ${reason.message}` : ""}`, {
    cause: reason,
  });
}

/**
 * Whether `error` reports a cancellation rather than a failure: an `AbortError` (an aborted
 * signal, `fetch` or body read) or a `TimeoutError` (`AbortSignal.timeout`, LangChain's `timeout`
 * call option), whichever realm or copy of the package made it, so it is matched by name.
 */
export function isAbortLike(error: unknown): boolean {
  return error instanceof Error && (error.name === "AbortError" || error.name === "TimeoutError");
}

/**
 * LangChain's `AsyncCaller` rejects a cancelled call with the signal's own reason (a DOMException
 * `AbortError`, or `TimeoutError` for the `timeout` call option). Turn that into the package's
 * {@link DatabricksAbortError} so every failure a user sees is a `DatabricksError`.
 */
export function asDatabricksError(error: unknown, signal: AbortSignal | undefined): unknown {
  if (error instanceof DatabricksError || !signal?.aborted) return error;
  return abortError(signal, "Request");
}

/** Re-yield a stream, turning a cancellation reported by LangChain into a {@link DatabricksAbortError}. */
export async function* withAbortAsDatabricksError<T>(
  stream: AsyncGenerator<T>,
  signal: AbortSignal | undefined,
): AsyncGenerator<T> {
  try {
    yield* stream;
  } catch (error) {
    throw asDatabricksError(error, signal);
  }
}
