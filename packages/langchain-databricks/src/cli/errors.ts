import { redactSecrets } from "../redaction.js";

/** The program name, the prefix of every error line. */
export const PROGRAM = "langchain-databricks";

/** Exit codes: success, runtime failure, usage error, interrupted (128 + SIGINT). */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERRUPTED = 130;

/** A bad command line: exit code 2, with a pointer to the relevant help. */
export class CliUsageError extends Error {
  override name = "CliUsageError";
  /** The command whose `--help` to suggest; undefined for the global help. */
  readonly command: string | undefined;
  constructor(message: string, command?: string) {
    super(message);
    this.command = command;
  }
}

/** Thrown by a cancelled command when the process got SIGINT/SIGTERM. */
export class CliInterruptedError extends Error {
  override name = "CliInterruptedError";
  constructor() {
    super("interrupted");
  }
}

/** The error line: one line, no credentials, prefixed with the program name. */
export function errorLine(error: unknown): string {
  let message = error instanceof Error ? error.message || error.name : String(error);
  if (error instanceof CliUsageError) {
    message += ` (see '${PROGRAM}${error.command ? ` ${error.command}` : ""} --help')`;
  }
  const oneLine = redactSecrets(message)
    .replace(/\s*[\r\n]+\s*/g, " ")
    .trim();
  return `${PROGRAM}: ${oneLine}\n`;
}
