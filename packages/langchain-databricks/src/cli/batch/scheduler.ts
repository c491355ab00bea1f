/**
 * The engine of `batch`: runs units of work (one request each) within an {@link AdaptiveLimit},
 * retries what is worth retrying a bounded number of times, and stops cleanly on abort. It knows
 * nothing of prompts or files, so it is tested on its own.
 */
import { setMaxListeners } from "node:events";
import type { AdaptiveLimit } from "./concurrency.js";
import { isRetryable, isThrottling, retryDelayMs } from "./retry.js";

/** How the scheduler reports back; every callback runs synchronously. */
export interface SchedulerHooks<U> {
  /** The unit's request succeeded with `value` after `latencyMs`. */
  onSuccess(unit: U, value: unknown, latencyMs: number): void;
  /** The unit failed for good after `attempts` requests. */
  onFailure(unit: U, error: unknown, attempts: number, latencyMs: number): void;
  /** The unit will be sent again. */
  onRetry(unit: U): void;
  /**
   * A failure that is not retried. Resolve to an error to stop the whole run with it (e.g. every
   * unit would fail the same way); undefined to record it and go on.
   */
  fatal?(error: unknown): Promise<Error | undefined>;
}

/** Options of {@link runScheduled}. */
export interface SchedulerOptions<U> {
  units: readonly U[];
  limit: AdaptiveLimit;
  /** Retries per unit after its first attempt. */
  maxRetries: number;
  /** Send one unit's request; must reject promptly when `signal` aborts. */
  send(unit: U, signal: AbortSignal): Promise<unknown>;
  hooks: SchedulerHooks<U>;
  /** Stops the run: no new requests, the in-flight ones are aborted and not reported. */
  signal?: AbortSignal | undefined;
}

/** How a run ended. */
export type SchedulerOutcome = "done" | "interrupted";

interface Job<U> {
  unit: U;
  attempts: number;
}

/**
 * Run every unit. Resolves "done" once each has succeeded or failed for good, or "interrupted"
 * once `signal` aborted and the aborted requests have settled; rejects with a `fatal` error.
 */
export async function runScheduled<U>(options: SchedulerOptions<U>): Promise<SchedulerOutcome> {
  const { limit, hooks } = options;
  const queue: Job<U>[] = options.units.map((unit) => ({ unit, attempts: 0 }));
  const requests = new AbortController();
  // Every request in flight listens to this one signal: more than Node's default of 10 is normal.
  setMaxListeners(Number.POSITIVE_INFINITY, requests.signal);
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const inFlight = new Set<Promise<void>>();
  let waitingRetries = 0;
  let fatalError: Error | undefined;
  let wake: () => void = () => undefined;
  const wakeUp = (): void => wake();
  const stop = (): void => {
    requests.abort();
    wakeUp();
  };
  if (options.signal?.aborted) stop();
  options.signal?.addEventListener("abort", stop, { once: true });

  const schedule = (job: Job<U>, delayMs: number): void => {
    waitingRetries += 1;
    const timer = setTimeout(() => {
      timers.delete(timer);
      waitingRetries -= 1;
      // Retries go first: in input order they hold back every later result.
      queue.unshift(job);
      wakeUp();
    }, delayMs);
    timers.add(timer);
  };

  const attempt = async (job: Job<U>): Promise<void> => {
    const epoch = limit.currentEpoch;
    const started = performance.now();
    job.attempts += 1;
    let value: unknown;
    try {
      value = await options.send(job.unit, requests.signal);
    } catch (error) {
      // Interrupted: not reported, so the unit is neither answered nor failed and a rerun sends it.
      if (requests.signal.aborted) return;
      const latencyMs = performance.now() - started;
      const delay = retryDelayMs(error, job.attempts);
      if (isThrottling(error)) limit.onThrottled(epoch, delay);
      if (isRetryable(error) && job.attempts <= options.maxRetries) {
        hooks.onRetry(job.unit);
        schedule(job, delay);
        return;
      }
      const fatal = await hooks.fatal?.(error);
      if (fatal) throw fatal;
      hooks.onFailure(job.unit, error, job.attempts, latencyMs);
      return;
    }
    // Outside the try: a failing hook (say, a full disk) is not a failed request to retry.
    limit.onSuccess();
    hooks.onSuccess(job.unit, value, performance.now() - started);
  };

  try {
    while (!requests.signal.aborted && (queue.length > 0 || waitingRetries > 0 || inFlight.size)) {
      const pause = limit.pausedUntil - Date.now();
      while (pause <= 0 && queue.length > 0 && inFlight.size < limit.limit) {
        const job = queue.shift() as Job<U>;
        const running: Promise<void> = attempt(job)
          .catch((error: unknown) => {
            // A fatal answer or a failing hook stops the run; the first one is reported.
            fatalError ??= error instanceof Error ? error : new Error(String(error));
            requests.abort();
          })
          .finally(() => {
            inFlight.delete(running);
            wakeUp();
          });
        inFlight.add(running);
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
        // A throttling pause ends on its own: wake up then to send again.
        if (pause > 0) {
          const timer = setTimeout(resolve, pause);
          timers.add(timer);
        }
      });
    }
    // Aborted requests reject promptly; wait for them so nothing is reported after we return.
    await Promise.all(inFlight);
  } finally {
    for (const timer of timers) clearTimeout(timer);
    options.signal?.removeEventListener("abort", stop);
  }
  if (fatalError) throw fatalError;
  return options.signal?.aborted ? "interrupted" : "done";
}
