/** Input and output of the JSONL commands (`batch`, `embed`): a file or the process streams. */
import { readFile } from "node:fs/promises";
import type { ResultSink } from "./batch/results_file.js";
import { CliUsageError } from "./errors.js";
import { readText, type CliIO } from "./io.js";

/**
 * The whole input: the `--input` file when given, else stdin (refused when it is a terminal, so a
 * forgotten `--input` does not hang silently).
 */
export async function readInputText(
  io: CliIO,
  path: string | undefined,
  command: string,
): Promise<string> {
  if (path === undefined) {
    if (io.stdin.isTTY) {
      throw new CliUsageError("no input: pass --input FILE, or pipe JSONL on stdin", command);
    }
    return readText(io.stdin);
  }
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw new CliUsageError(
      `cannot read --input ${path}: ${code === "ENOENT" ? "no such file" : String((error as Error).message)}`,
      command,
    );
  }
}

/** A sink writing to the command's stdout (flushed by `main.ts` before the process exits). */
export function stdoutSink(io: CliIO): ResultSink {
  return {
    write: (line) => {
      io.stdout.write(line);
    },
    close: () => Promise.resolve(),
  };
}
