/**
 * Progress of `batch` on stderr: a bar redrawn in place on a terminal, one plain line every few
 * seconds otherwise (CI logs, `2> log`), nothing with `--quiet`. Drawn with ANSI escapes only.
 */
import type { CliOutput } from "../io.js";

/** The counters `batch` keeps while it runs. */
export interface BatchCounts {
  /** Prompts to send in this run (input lines minus those answered by an earlier run). */
  total: number;
  ok: number;
  failed: number;
  /** Retries sent (a prompt retried twice counts twice). */
  retried: number;
  /** Answered by an earlier run, found in the results file. */
  skipped: number;
  /** Current concurrency limit. */
  concurrency: number;
}

/** Redraw period of the terminal bar. */
const TTY_REFRESH_MS = 200;
const BAR_WIDTH = 24;

/** The progress display: `start()` once, `stop()` before the summary. */
export interface ProgressReporter {
  start(): void;
  stop(): void;
}

/**
 * A reporter for `stderr`: the bar when it is a terminal, else a line every `intervalMs`; a
 * reporter that does nothing when `quiet`.
 */
export function createProgress(
  stderr: CliOutput,
  counts: () => BatchCounts,
  options: { quiet: boolean; intervalMs: number; startedAt: number },
): ProgressReporter {
  if (options.quiet) return { start: () => undefined, stop: () => undefined };
  const tty = stderr.isTTY === true;
  let timer: ReturnType<typeof setInterval> | undefined;
  const draw = (): void => {
    const line = progressLine(counts(), Date.now() - options.startedAt);
    if (tty) stderr.write(`\r${progressBar(counts())} ${line}\x1b[K`);
    else stderr.write(`${line}\n`);
  };
  return {
    start: () => {
      timer = setInterval(draw, tty ? TTY_REFRESH_MS : options.intervalMs);
      // Progress alone must never keep the process alive.
      timer.unref?.();
    },
    stop: () => {
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
      // Leave the bar's final state on its own line, so the summary starts on a fresh one.
      if (tty) {
        draw();
        stderr.write("\n");
      }
    },
  };
}

/**
 * One progress line, e.g.
 * `batch: 1200/5000 (24%) ok 1195, failed 5, retried 57 | 410.2/s | ETA 9s | concurrency 12`.
 */
export function progressLine(counts: BatchCounts, elapsedMs: number): string {
  const done = counts.ok + counts.failed;
  const percent = counts.total === 0 ? 100 : Math.floor((done / counts.total) * 100);
  const rate = elapsedMs > 0 ? done / (elapsedMs / 1000) : 0;
  const remaining = counts.total - done;
  const eta = rate > 0 ? formatDuration((remaining / rate) * 1000) : "?";
  return (
    `batch: ${done}/${counts.total} (${percent}%) ok ${counts.ok}, failed ${counts.failed}, ` +
    `retried ${counts.retried} | ${rate.toFixed(1)}/s | ETA ${eta} | concurrency ${counts.concurrency}`
  );
}

/** `[#########---------------]` for the share of prompts done. */
export function progressBar(counts: BatchCounts): string {
  const done = counts.ok + counts.failed;
  const filled = counts.total === 0 ? BAR_WIDTH : Math.round((done / counts.total) * BAR_WIDTH);
  return `[${"#".repeat(filled)}${"-".repeat(BAR_WIDTH - filled)}]`;
}

/** `950ms`, `12s`, `3m05s`, `1h02m`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(seconds % 60).padStart(2, "0")}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, "0")}m`;
}

/** The `p`-th percentile (0–100) of `values` by nearest rank; 0 when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? 0;
}

/**
 * The final summary, e.g.
 * `batch: 5000 prompts: 4995 ok, 5 failed, 0 skipped (answered before); 57 retried; 12.2s,
 * 409.8/s; latency p50 31ms, p95 88ms`.
 */
export function summaryLine(counts: BatchCounts, elapsedMs: number, latencies: number[]): string {
  const done = counts.ok + counts.failed;
  const rate = elapsedMs > 0 ? done / (elapsedMs / 1000) : 0;
  return (
    `batch: ${done} prompts: ${counts.ok} ok, ${counts.failed} failed, ${counts.skipped} skipped ` +
    `(answered before); ${counts.retried} retried; ${formatDuration(elapsedMs)}, ` +
    `${rate.toFixed(1)}/s; latency p50 ${Math.round(percentile(latencies, 50))}ms, ` +
    `p95 ${Math.round(percentile(latencies, 95))}ms`
  );
}
