/**
 * Adaptive concurrency for `batch`, in the AIMD manner of TCP congestion control: the limit grows
 * by one after a full window of successes and halves on throttling (429 or 503), at most once per
 * window, so the answers of requests already in flight when the endpoint pushed back do not halve
 * it again and again. A throttling answer's `Retry-After` also pauses every new request.
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
   * A request started in `epoch` was throttled: halve the limit (once per epoch) and pause new
   * requests for `delayMs` (the later of any pauses asked for).
   */
  onThrottled(epoch: number, delayMs: number, now = Date.now()): void {
    this.pausedUntil = Math.max(this.pausedUntil, now + delayMs);
    this.successes = 0;
    if (epoch !== this.epoch) return;
    this.epoch += 1;
    this.limit = Math.max(1, Math.floor(this.limit / 2));
  }
}
