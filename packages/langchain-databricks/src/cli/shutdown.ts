/**
 * Resolve when `signal` aborts (SIGINT/SIGTERM in the real process); never without one. Servers
 * started by a command await this, then close.
 */
export function untilAborted(signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return new Promise<void>(() => undefined);
  if (signal.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => {
    signal.addEventListener("abort", () => resolve(), { once: true });
  });
}
