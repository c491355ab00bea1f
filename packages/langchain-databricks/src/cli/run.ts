/** The CLI dispatcher, callable in-process: argv → command → exit code, with the error contract. */
import { findCommand, COMMANDS } from "./commands.js";
import {
  CliInterruptedError,
  CliUsageError,
  errorLine,
  EXIT_FAILURE,
  EXIT_INTERRUPTED,
  EXIT_OK,
  EXIT_USAGE,
} from "./errors.js";
import type { CliIO } from "./io.js";
import { globalUsage } from "./usage.js";
import { packageVersion } from "./version.js";

/**
 * Run the CLI and return its exit code; never throws. The answer goes to `io.stdout`; a failure
 * writes one line `langchain-databricks: <message>` to `io.stderr` and returns 2 (usage), 1
 * (runtime) or 130 (interrupted).
 */
export async function runCli(io: CliIO): Promise<number> {
  try {
    return await dispatch(io);
  } catch (error) {
    io.stderr.write(errorLine(error));
    if (error instanceof CliUsageError) return EXIT_USAGE;
    if (error instanceof CliInterruptedError) return EXIT_INTERRUPTED;
    return EXIT_FAILURE;
  }
}

async function dispatch(io: CliIO): Promise<number> {
  const [first, ...rest] = io.argv;
  if (first === undefined) {
    throw new CliUsageError("missing command (invoke, batch, embed or driver-app)");
  }
  if (first === "-h" || first === "--help") {
    io.stdout.write(globalUsage());
    return EXIT_OK;
  }
  if (first === "-v" || first === "--version") {
    io.stdout.write(`${packageVersion()}\n`);
    return EXIT_OK;
  }
  if (first === "help") {
    const topic = rest[0];
    if (topic === undefined) {
      io.stdout.write(globalUsage());
      return EXIT_OK;
    }
    const command = findCommand(topic);
    if (!command) throw unknownCommand(topic);
    io.stdout.write(command.usage);
    return EXIT_OK;
  }
  if (first.startsWith("-")) {
    throw new CliUsageError(`unknown option '${first}' (options go after the command)`);
  }
  const command = findCommand(first);
  if (!command) throw unknownCommand(first);
  return command.run(io, rest);
}

function unknownCommand(name: string): CliUsageError {
  if (name === "emulator") {
    return new CliUsageError(
      "the emulator is its own package now: run 'npx databricks-serving-emulator' (same flags)",
    );
  }
  const names = COMMANDS.map((command) => command.name).join(", ");
  return new CliUsageError(`unknown command '${name}' (commands: ${names})`);
}
