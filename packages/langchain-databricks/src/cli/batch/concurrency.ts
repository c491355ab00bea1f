/**
 * Adaptive concurrency for `batch`, in the AIMD manner of TCP congestion control: the limit grows
 * by one after a window of `limit` successes and halves on throttling (429 or 503), at most once
 * per window, so the answers of requests already in flight when the endpoint pushed back do not
 * halve it again and again. The throttled prompt waits its `Retry-After` before its retry (the
 * scheduler's job); only when the limit is already 1, and there is nothing left to halve, does a
 * throttling answer pause every new request for its `Retry-After`. Pausing everything on every 429
 * starved the run: with a steady 10% of 429s the limit never climbed above 1 (bench S7).
 */

/** Defaults of {@link AdaptiveLimit}. */
export const DEFAULT_INITIAL_CONCURRENCY = 4;
export const DEFAULT_MAX_CONCURRENCY = 16;

/** The concurrency limit and the global pause after throttling. */
export class AdaptiveLimit {
  /** Requests allowed in flight now, within [1, max]. */
  limit: number;
  /** No new request before this time (ms since epoch); 0 when not paused. */
  pausedUntil = 0;
  private readonly max: number;
  private successes = 0;
  /** Bumped on every decrease; a request started in an older epoch cannot decrease again. */
  private epoch = 0;

  constructor(max: number, initial = DEFAULT_INITIAL_CONCURRENCY) {
    this.max = max;
    this.limit = Math.min(max, Math.max(1, initial));
  }

  /** The epoch to hand back to {@link onThrottled} for a request starting now. */
  get currentEpoch(): number {
    return this.epoch;
  }

  /** A request succeeded: one more after `limit` successes in a row. */
  onSuccess(): void {
    this.successes += 1;
    if (this.successes >= this.limit) {
      this.successes = 0;
      this.limit = Math.min(this.max, this.limit + 1);
    }
  }

  /**
   * A request started in `epoch` was throttled: halve the limit (once per epoch: answers of
   * requests sent before the last decrease do not count again); at a limit of 1, pause new
   * requests for `delayMs` instead (the later of any pauses asked for).
   */
  onThrottled(epoch: number, delayMs: number, now = Date.now()): void {
    if (epoch !== this.epoch) return;
    this.epoch += 1;
    this.successes = 0;
    if (this.limit > 1) this.limit = Math.floor(this.limit / 2);
    else this.pausedUntil = Math.max(this.pausedUntil, now + delayMs);
  }
}
