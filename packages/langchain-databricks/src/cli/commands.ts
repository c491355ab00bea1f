/** The command table: name → summary, help text and implementation. */
import { BATCH_USAGE, runBatch } from "./commands/batch.js";
import { EMBED_USAGE, runEmbed } from "./commands/embed.js";
import { DRIVER_APP_USAGE, runDriverApp } from "./commands/driver_app.js";
import { INVOKE_USAGE, runInvoke } from "./commands/invoke.js";
import type { CliIO } from "./io.js";

/** One subcommand. `run` returns the exit code and throws usage or runtime errors. */
export interface CliCommand {
  name: string;
  /** One line for the global help. */
  summary: string;
  /** The full `--help` text. */
  usage: string;
  run(io: CliIO, argv: readonly string[]): Promise<number>;
}

/** Every subcommand, in help order. */
export const COMMANDS: readonly CliCommand[] = [
  {
    name: "invoke",
    summary: "send a prompt to a serving endpoint or driver proxy app and print the answer",
    usage: INVOKE_USAGE,
    run: (io, argv) => runInvoke(io, argv),
  },
  {
    name: "batch",
    summary: "send a JSONL file of prompts to an endpoint and write JSONL results (resumable)",
    usage: BATCH_USAGE,
    run: (io, argv) => runBatch(io, argv),
  },
  {
    name: "embed",
    summary: "embed texts (arguments, stdin lines or JSONL) and write JSONL vectors",
    usage: EMBED_USAGE,
    run: (io, argv) => runEmbed(io, argv),
  },
  {
    name: "driver-app",
    summary: "serve a built-in model as a cluster driver proxy app",
    usage: DRIVER_APP_USAGE,
    run: runDriverApp,
  },
];

/** The command called `name`, if any. */
export function findCommand(name: string): CliCommand | undefined {
  return COMMANDS.find((command) => command.name === name);
}
