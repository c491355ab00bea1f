/** How `batch` lays out its work: output positions for every line, and prompt groups to send. */
import type { BadRecord, InputRecord } from "./jsonl.js";

/** A prompt group sent as one request (one prompt unless row packing is asked for). */
export interface Unit {
  records: InputRecord[];
  /** Position of each record in the output order. */
  seqs: number[];
}

/** The units to send, and the bad lines with their output positions. */
export interface BatchPlan {
  units: Unit[];
  bad: { seq: number; bad: BadRecord }[];
}

/**
 * Number the lines still to answer in input order (bad ones included, so that their error results
 * take their place in the output) and group consecutive prompts by `batchSize`.
 */
export function planBatch(
  pending: readonly InputRecord[],
  bad: readonly BadRecord[],
  batchSize: number,
): BatchPlan {
  const lines = [
    ...pending.map((record) => ({ line: record.line, record })),
    ...bad.map((entry) => ({ line: entry.line, bad: entry })),
  ].sort((a, b) => a.line - b.line);
  const plan: BatchPlan = { units: [], bad: [] };
  let current: Unit | undefined;
  lines.forEach((entry, seq) => {
    if ("bad" in entry) {
      plan.bad.push({ seq, bad: entry.bad });
      return;
    }
    if (!current || current.records.length >= batchSize) {
      current = { records: [], seqs: [] };
      plan.units.push(current);
    }
    current.records.push(entry.record);
    current.seqs.push(seq);
  });
  return plan;
}
