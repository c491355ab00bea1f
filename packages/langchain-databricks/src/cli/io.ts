/** The process surface a CLI command uses, injectable so tests can run commands in-process. */

/** Where text goes: `process.stdout`, `process.stderr` or a test capture. */
export interface CliOutput {
  write(chunk: string): unknown;
  /** `true` when this is a terminal (`batch` then draws a progress bar instead of lines). */
  isTTY?: boolean | undefined;
}

/** Where a prompt comes from: `process.stdin` or any async iterable of text or bytes. */
export interface CliInput extends AsyncIterable<string | Uint8Array> {
  /** `true` when stdin is a terminal, so `invoke` refuses to wait for a prompt nobody pipes in. */
  isTTY?: boolean | undefined;
}

/** Everything a command may touch. */
export interface CliIO {
  /** Arguments after the program name (`process.argv.slice(2)`). */
  argv: readonly string[];
  stdin: CliInput;
  /** The answer, and nothing else. */
  stdout: CliOutput;
  /** The one-line error on failure, warnings, and server logs. */
  stderr: CliOutput;
  /**
   * Environment for CLI decisions (e.g. the driver-app default listen address). The `Databricks`
   * class resolves unified auth from `process.env` itself.
   */
  env: Readonly<Record<string, string | undefined>>;
  /**
   * Aborted on SIGINT/SIGTERM (wired by `main.ts`): servers close and return 0, a running
   * `invoke` is cancelled. Without it, servers run until the process dies.
   */
  signal?: AbortSignal | undefined;
}

/** All of `input` as text (UTF-8, chunks split anywhere). */
export async function readText(input: AsyncIterable<string | Uint8Array>): Promise<string> {
  const decoder = new TextDecoder();
  let text = "";
  for await (const chunk of input) {
    text += typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true });
  }
  return text + decoder.decode();
}
