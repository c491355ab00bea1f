import { DatabricksTimeoutError } from "../errors.js";

/**
 * The longest timeout a timer can hold: Node's timers take at most 2^31-1 ms (about 24.8 days) and
 * fire after 1 ms when given more, so longer timeouts are refused where they are configured.
 */
export const MAX_TIMEOUT_MS = 2_147_483_647;

/**
 * The caller's signal combined with a restartable timer; remembers whether the timer fired. The
 * timeout is always armed: it is finite and at most {@link MAX_TIMEOUT_MS}, checked where configured.
 */
export class InactivityDeadline {
  readonly signal: AbortSignal;
  timedOut = false;
  private readonly controller = new AbortController();
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    callerSignal: AbortSignal | undefined,
    private readonly timeoutMs: number,
  ) {
    this.signal = callerSignal
      ? AbortSignal.any([callerSignal, this.controller.signal])
      : this.controller.signal;
    this.restart();
  }

  restart(): void {
    this.clear();
    this.timer = setTimeout(() => {
      this.timedOut = true;
      this.controller.abort(timeoutError(this.timeoutMs));
    }, this.timeoutMs);
    this.timer.unref?.();
  }

  clear(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Await one read, reporting our own timer's abort as a timeout; the timer keeps running. */
  async guardKeepRunning<T>(reading: Promise<T>): Promise<T> {
    try {
      return await reading;
    } catch (error) {
      throw this.timedOut ? timeoutError(this.timeoutMs) : error;
    }
  }

  /** Await a body read, reporting our own timer's abort as a timeout; the timer stops after it. */
  async guard<T>(reading: Promise<T>): Promise<T> {
    try {
      return await reading;
    } catch (error) {
      throw this.timedOut ? timeoutError(this.timeoutMs) : error;
    } finally {
      this.clear();
    }
  }
}

/** A body whose every piece re-arms the deadline: the timeout bounds each gap, not the whole stream. */
export async function* guardedChunks(
  chunks: AsyncIterable<Uint8Array>,
  deadline: InactivityDeadline,
): AsyncGenerator<Uint8Array> {
  try {
    const iterator = chunks[Symbol.asyncIterator]();
    for (;;) {
      const step = await deadline.guardKeepRunning(iterator.next());
      if (step.done) return;
      deadline.restart();
      yield step.value;
    }
  } finally {
    deadline.clear();
  }
}

export function timeoutError(timeoutMs: number): DatabricksTimeoutError {
  return new DatabricksTimeoutError(`Request timed out after ${timeoutMs} ms`);
}
