/**
 * Client-side stop sequences. Servers are asked to stop (`stop` in the body), but custom models and
 * driver apps often ignore it, so the text is also cut here at the first stop sequence (which is not
 * included). The Python class relied on the server alone.
 */

/** Cut `text` before the earliest occurrence of any stop sequence. */
export function cutAtStop(text: string, stop: readonly string[] | undefined): string {
  if (!stop || stop.length === 0) return text;
  let end = text.length;
  for (const sequence of stop) {
    if (sequence === "") continue;
    const at = text.indexOf(sequence);
    if (at !== -1 && at < end) end = at;
  }
  return end === text.length ? text : text.slice(0, end);
}

/**
 * Applies stop sequences to a stream of text pieces, across piece boundaries: text that could be
 * the start of a stop sequence is held back until the next piece decides.
 */
export class StreamingStopCutter {
  private pending = "";
  private stopped = false;
  private readonly stop: readonly string[];
  private readonly holdBack: number;

  constructor(stop: readonly string[] | undefined) {
    this.stop = (stop ?? []).filter((s) => s !== "");
    this.holdBack = Math.max(0, ...this.stop.map((s) => s.length - 1));
  }

  /** True once a stop sequence was seen: the caller should stop reading the stream. */
  get done(): boolean {
    return this.stopped;
  }

  /** Feed a piece; returns the text that is now safe to emit (possibly empty). */
  push(piece: string): string {
    if (this.stopped) return "";
    if (this.stop.length === 0) return piece;
    const text = this.pending + piece;
    const cut = cutAtStop(text, this.stop);
    if (cut.length < text.length) {
      this.stopped = true;
      this.pending = "";
      return cut;
    }
    const safeEnd = Math.max(0, text.length - this.holdBack);
    this.pending = text.slice(safeEnd);
    return text.slice(0, safeEnd);
  }

  /** The stream ended: whatever was held back is real text. */
  flush(): string {
    const rest = this.stopped ? "" : this.pending;
    this.pending = "";
    return rest;
  }
}

/**
 * The LLM's rule, as the Python class: a non-empty call-time list replaces the instance's; an empty
 * one keeps it (Python's `if stop:`).
 */
export function llmStop(
  call: string[] | undefined,
  instance: string[] | undefined,
): string[] | undefined {
  return call && call.length > 0 ? call : instance;
}

/**
 * The chat model's rule, LangChain.js's usual one: a call-time list, even empty, replaces the
 * instance's (the Python successor does the opposite). Empty sequences are dropped.
 */
export function chatStop(
  call: string[] | undefined,
  instance: string[] | undefined,
): string[] | undefined {
  const stop = (call ?? instance)?.filter((s) => s !== "");
  return stop && stop.length > 0 ? stop : undefined;
}
