/**
 * The results file of `batch`, which is also its resume state: a result line with a `text` is an
 * answered id; anything else (an `error` result, a line cut short by a crash) is dropped on
 * resume so that id is tried again and still appears exactly once.
 */
import { createWriteStream, type WriteStream } from "node:fs";
import { readFile, rename, writeFile } from "node:fs/promises";
import { idKey, type RecordId } from "./jsonl.js";

/** What an earlier run left in the results file. */
export interface PreviousResults {
  /** Keys ({@link idKey}) of the ids answered successfully. */
  answered: Set<string>;
  /** Lines dropped: error results, and a last line cut short by a crash. */
  dropped: number;
}

/**
 * Read the results an earlier run wrote to `path` (none when it does not exist), and rewrite the
 * file with only its successful results when anything must go. The rewrite goes through a
 * temporary file and a rename, so a crash during it leaves either the old or the new file.
 */
export async function loadPreviousResults(path: string): Promise<PreviousResults> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as { code?: unknown }).code === "ENOENT") return { answered: new Set(), dropped: 0 };
    throw error;
  }
  const answered = new Set<string>();
  const kept: string[] = [];
  let dropped = 0;
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    const id = answeredId(line);
    if (id === undefined || answered.has(idKey(id))) {
      dropped += 1;
      continue;
    }
    answered.add(idKey(id));
    kept.push(line);
  }
  const compacted = kept.map((line) => `${line}\n`).join("");
  if (compacted !== text) {
    const temporary = `${path}.${process.pid}.tmp`;
    await writeFile(temporary, compacted);
    await rename(temporary, path);
  }
  return { answered, dropped };
}

/** The id of a successful result line, or undefined for an error result or a broken line. */
function answeredId(line: string): RecordId | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const { id, text } = value as { id?: unknown; text?: unknown };
  if (typeof text !== "string") return undefined;
  return typeof id === "string" || typeof id === "number" ? id : undefined;
}

/** Where result lines go: appended to a file, or written to stdout. */
export interface ResultSink {
  write(line: string): void;
  /** Flush everything written; resolves once it is on disk (or handed to stdout). */
  close(): Promise<void>;
}

/** A sink appending to `path` (created when missing). */
export function appendSink(path: string): ResultSink {
  const stream: WriteStream = createWriteStream(path, { flags: "a" });
  let failure: Error | undefined;
  stream.on("error", (error) => (failure = error));
  return {
    write: (line) => {
      if (failure) throw failure;
      stream.write(line);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        if (failure) return reject(failure);
        stream.end(() => (failure ? reject(failure) : resolve()));
      }),
  };
}
