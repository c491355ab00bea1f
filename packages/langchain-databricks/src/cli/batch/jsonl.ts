/**
 * JSONL records for `batch` and `embed`: input lines (`{"id", "<field>"}` objects or bare JSON
 * strings) and the identity of an id across runs.
 */

/** A record id as given in the input: any JSON string or number (line numbers are 1-based). */
export type RecordId = string | number;

/** One usable input line. */
export interface InputRecord {
  id: RecordId;
  text: string;
  /** 1-based line number in the input. */
  line: number;
}

/** One input line that cannot be used, with why; its id is the line's own when it has one. */
export interface BadRecord {
  id: RecordId;
  line: number;
  message: string;
}

/** The lines of an input: usable records and bad ones, each in input order. */
export interface ParsedInput {
  records: InputRecord[];
  bad: BadRecord[];
}

/**
 * Parse JSONL input where each non-blank line is `{"id": …, "<field>": "…"}` or a JSON string
 * (whose id is then its 1-based line number). Blank lines are skipped but still counted, so line
 * numbers match an editor's. A bad line never stops the parse: it is returned in `bad`.
 */
export function parseInputLines(text: string, field: string): ParsedInput {
  const records: InputRecord[] = [];
  const bad: BadRecord[] = [];
  const lines = text.split("\n");
  // A final newline does not start one more (empty) line.
  if (lines.at(-1) === "") lines.pop();
  lines.forEach((raw, index) => {
    const line = index + 1;
    const source = raw.replace(/\r$/, "");
    if (source.trim() === "") return;
    const parsed = parseRecord(source, field, line);
    if ("message" in parsed) bad.push(parsed);
    else records.push(parsed);
  });
  return { records, bad };
}

function parseRecord(source: string, field: string, line: number): InputRecord | BadRecord {
  let value: unknown;
  try {
    value = JSON.parse(source);
  } catch {
    return {
      id: line,
      line,
      message: `line ${line} is not JSON: expected {"id": ..., "${field}": "..."} or a JSON string`,
    };
  }
  if (typeof value === "string") return { id: line, text: value, line };
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return {
      id: line,
      line,
      message: `line ${line} must be a JSON object {"id": ..., "${field}": "..."} or a JSON string`,
    };
  }
  const record = value as Record<string, unknown>;
  const rawId = record["id"];
  const id = isRecordId(rawId) ? rawId : line;
  if (rawId !== undefined && !isRecordId(rawId)) {
    return { id, line, message: `line ${line}: "id" must be a string or a number` };
  }
  const text = record[field];
  if (typeof text !== "string") {
    return { id, line, message: `line ${line}: "${field}" must be a string` };
  }
  return { id, text, line };
}

function isRecordId(value: unknown): value is RecordId {
  return typeof value === "string" || (typeof value === "number" && Number.isFinite(value));
}

/**
 * The key under which an id is remembered across runs: `1` and `"1"` stay distinct, as they are
 * distinct JSON values.
 */
export function idKey(id: RecordId): string {
  return JSON.stringify(id);
}

/** Duplicate ids in `records` (each reported once), which would make results ambiguous. */
export function duplicateIds(records: readonly { id: RecordId }[]): RecordId[] {
  const seen = new Set<string>();
  const duplicates = new Map<string, RecordId>();
  for (const { id } of records) {
    const key = idKey(id);
    if (seen.has(key)) duplicates.set(key, id);
    seen.add(key);
  }
  return [...duplicates.values()];
}
