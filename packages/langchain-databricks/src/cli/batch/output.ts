/** The result lines of `batch`, and the order in which they are written. */
import type { BadRecord, RecordId } from "./jsonl.js";
import type { ResultSink } from "./results_file.js";

/** A successful result line. */
export interface OkResult {
  id: RecordId;
  text: string;
  /** Time of the request that answered (not counting earlier failed attempts), in ms. */
  latencyMs: number;
  /** The `served-model-name` header, when the endpoint sent one. */
  servedModel?: string;
}

/** A failed result line; the message comes from the library's errors, which hold no credentials. */
export interface ErrorResult {
  id: RecordId;
  error: {
    message: string;
    /** HTTP status, when the endpoint answered. */
    status?: number;
    /** Databricks `error_code` (e.g. `REQUEST_LIMIT_EXCEEDED`), or `INVALID_INPUT` for a bad line. */
    code?: string;
  };
  /** Requests sent for this prompt (0 for a bad input line). */
  attempts: number;
  latencyMs?: number;
}

/** The error result of an input line that could not be read. */
export function badLineResult(bad: BadRecord): ErrorResult {
  return { id: bad.id, error: { message: bad.message, code: "INVALID_INPUT" }, attempts: 0 };
}

/** The error result of a prompt whose last attempt failed with `error`. */
export function failedResult(
  id: RecordId,
  error: unknown,
  attempts: number,
  latencyMs: number,
): ErrorResult {
  const details = error as { message?: unknown; status?: unknown; errorCode?: unknown };
  // The first line only: the library appends a troubleshooting link on the following lines.
  const message = String(details.message ?? error).split("\n")[0] ?? "";
  const result: ErrorResult = { id, error: { message }, attempts, latencyMs };
  if (typeof details.status === "number") result.error.status = details.status;
  if (typeof details.errorCode === "string") result.error.code = details.errorCode;
  return result;
}

/**
 * Writes results by their position in the input (`seq`): at once with `completed`, else in input
 * order, holding back results that finish before an earlier one.
 */
export class OrderedWriter {
  private next = 0;
  private readonly held = new Map<number, string>();

  constructor(
    private readonly sink: ResultSink,
    private readonly order: "input" | "completed",
  ) {}

  /** Write (or hold) the result at position `seq`. */
  write(seq: number, result: OkResult | ErrorResult): void {
    const line = `${JSON.stringify(result)}\n`;
    if (this.order === "completed") {
      this.sink.write(line);
      return;
    }
    this.held.set(seq, line);
    for (let ready = this.held.get(this.next); ready !== undefined;) {
      this.held.delete(this.next);
      this.sink.write(ready);
      this.next += 1;
      ready = this.held.get(this.next);
    }
  }

  /**
   * On interruption: write the held results too, in input order, although earlier ones are
   * missing. A finished answer is worth more than the order, and resume goes by id.
   */
  flushHeld(): void {
    for (const seq of [...this.held.keys()].sort((a, b) => a - b)) {
      this.sink.write(this.held.get(seq) ?? "");
    }
    this.held.clear();
  }
}
