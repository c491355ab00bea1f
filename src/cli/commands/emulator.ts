/** `langchain-databricks emulator`: run the local workspace emulator until SIGINT/SIGTERM. */
import type { EmulatorOptions } from "../../emulator/index.js";
import { integerOption, parseCommand } from "../args.js";
import { CliUsageError, EXIT_OK, PROGRAM } from "../errors.js";
import type { CliIO } from "../io.js";
import { untilAborted } from "../shutdown.js";

const NAME = "emulator";

/** Help text of `emulator`. */
export const EMULATOR_USAGE = `Usage: ${PROGRAM} emulator [--port N] [--host H] [--config FILE] [--quiet]

Run a local Databricks workspace emulator (serving endpoints, OAuth, driver proxy) until Ctrl-C.
On start, stdout gets the two lines to point clients at it:

  export DATABRICKS_HOST=http://127.0.0.1:PORT
  export DATABRICKS_TOKEN=<the emulator's local token>

Options:
  --port N          port to listen on (default: the config's, else a free port)
  --host H          address to listen on (default: the config's, else 127.0.0.1)
  --config FILE     JSON emulator configuration (endpoints, tokens, driver apps, faults)
  --quiet           no request log on stderr
  -h, --help        show this help
`;

/** Run `emulator`; resolves with 0 once `io.signal` aborts and the emulator has closed. */
export async function runEmulator(io: CliIO, argv: readonly string[]): Promise<number> {
  const line = parseCommand(io.stdout, argv, {
    name: NAME,
    usage: EMULATOR_USAGE,
    options: {
      port: { type: "string" },
      host: { type: "string" },
      config: { type: "string" },
      quiet: { type: "boolean" },
    },
  });
  if (line === undefined) return EXIT_OK;
  const { values } = line;
  const port =
    values.port === undefined ? undefined : integerOption(NAME, "port", values.port, 0, 65535);
  if (values.host === "") throw new CliUsageError("--host must not be empty", NAME);

  // Loaded on use: the other commands never need the emulator.
  const { defaultEmulatorOptions, loadEmulatorConfig, startEmulator } =
    await import("../../emulator/index.js");
  const base: EmulatorOptions =
    values.config === undefined
      ? defaultEmulatorOptions()
      : await loadEmulatorConfig(values.config);
  const options: EmulatorOptions = { ...base };
  if (port !== undefined) options.port = port;
  if (values.host !== undefined) options.host = values.host;
  if (!values.quiet) options.log = (line) => io.stderr.write(`${line}\n`);

  const emulator = await startEmulator(options);
  try {
    // The emulator's token is a local fake, printed on purpose: it is how clients reach it.
    io.stdout.write(
      `export DATABRICKS_HOST=${emulator.url}\nexport DATABRICKS_TOKEN=${emulator.token}\n`,
    );
    if (!values.quiet) {
      const names = (options.endpoints ?? []).map((e) => e.name);
      const endpoints = names.length > 0 ? `endpoints: ${names.join(", ")}` : "no endpoints";
      io.stderr.write(`# emulator listening on ${emulator.url} (${endpoints}); Ctrl-C to stop\n`);
    }
    await untilAborted(io.signal);
  } finally {
    await emulator.close();
  }
  return EXIT_OK;
}
