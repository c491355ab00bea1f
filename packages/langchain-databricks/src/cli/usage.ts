import { COMMANDS } from "./commands.js";
import { PROGRAM } from "./errors.js";

/** The global `--help` text, built from the command table. */
export function globalUsage(): string {
  const commands: [string, string][] = [
    ...COMMANDS.map((c): [string, string] => [c.name, c.summary]),
    ["help [command]", "show help for a command"],
  ];
  const options: [string, string][] = [
    ["-h, --help", "show this help"],
    ["-v, --version", "print the version"],
  ];
  const width = Math.max(...[...commands, ...options].map(([label]) => label.length)) + 2;
  const rows = (list: [string, string][]): string =>
    list.map(([label, text]) => `  ${label.padEnd(width)}${text}`).join("\n");
  return `Usage: ${PROGRAM} <command> [options]

Databricks Model Serving from the command line.

Commands:
${rows(commands)}

Options:
${rows(options)}

Run '${PROGRAM} <command> --help' for a command's options.
Exit codes: 0 success, 1 failure, 2 usage error, 130 interrupted.
`;
}
