/**
 * The `databricks-serving-emulator` command, callable in-process: argv → exit code. It runs the
 * emulator until `io.signal` aborts (SIGINT/SIGTERM in the real process).
 */
import { parseArgs } from "node:util";
// By the package's own name: the built bin then runs on the built entry, not on a second copy.
import {
  defaultEmulatorOptions,
  EmulatorConfigError,
  loadEmulatorConfig,
  mergeEmulatorOptions,
  parseDriverAppSpec,
  startEmulator,
  type DriverAppConfig,
  type EmulatorOptions,
} from "databricks-serving-emulator";

/** The program name, the prefix of every error line. */
export const PROGRAM = "databricks-serving-emulator";

/** Help text. */
export const EMULATOR_USAGE = `Usage: ${PROGRAM} [--port N] [--host H] [--config FILE]
         [--driver-app CLUSTER:PORT=URL]... [--quiet]

Run a local Databricks Model Serving workspace (serving endpoints, OAuth M2M, driver proxy apps,
fault injection) until Ctrl-C. On start, stdout gets the two lines to point clients at it:

  export DATABRICKS_HOST=http://127.0.0.1:PORT
  export DATABRICKS_TOKEN=<the emulator's local token>

Options:
  --port N          port to listen on (default: the config's, else a free port)
  --host H          address to listen on (default: the config's, else 127.0.0.1)
  --config FILE     JSON emulator configuration (endpoints, tokens, driver apps, faults);
                    with "extends": "defaults" it adds to the default workspace
  --driver-app CLUSTER:PORT=URL
                    forward /driver-proxy-api/o/0/CLUSTER/PORT to the app at URL (or a local
                    port); repeatable, added to the config's driver apps
  --quiet           no request log on stderr
  -h, --help        show this help
  -v, --version     print the version
`;

/** Where text goes: `process.stdout`, `process.stderr` or a test capture. */
export interface EmulatorCliOutput {
  write(chunk: string): unknown;
}

/** The process surface the command uses, injectable so tests can run it in-process. */
export interface EmulatorCliIO {
  argv: readonly string[];
  stdout: EmulatorCliOutput;
  stderr: EmulatorCliOutput;
  /** Aborted on SIGINT/SIGTERM; the emulator then closes and the command returns 0. */
  signal?: AbortSignal | undefined;
  /** Printed by `--version`. */
  version?: string | undefined;
}

/** A bad command line: exit code 2. */
class UsageError extends Error {}

/** Exit codes: success, runtime failure, usage error. */
const EXIT_OK = 0;
const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;

/** Run the command and return its exit code; never throws. */
export async function runEmulatorCli(io: EmulatorCliIO): Promise<number> {
  try {
    return await run(io);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const hint = error instanceof UsageError ? ` (see '${PROGRAM} --help')` : "";
    io.stderr.write(`${PROGRAM}: ${message.replace(/\s*[\r\n]+\s*/g, " ").trim()}${hint}\n`);
    return error instanceof UsageError ? EXIT_USAGE : EXIT_FAILURE;
  }
}

async function run(io: EmulatorCliIO): Promise<number> {
  let values: {
    port?: string;
    host?: string;
    config?: string;
    "driver-app"?: string[];
    quiet?: boolean;
    help?: boolean;
    version?: boolean;
  };
  try {
    ({ values } = parseArgs({
      args: [...io.argv],
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: "string" },
        host: { type: "string" },
        config: { type: "string" },
        "driver-app": { type: "string", multiple: true },
        quiet: { type: "boolean" },
        help: { type: "boolean", short: "h" },
        version: { type: "boolean", short: "v" },
      },
    }));
  } catch (error) {
    // parseArgs' messages name the offending argument; drop its own advice about `--`.
    throw new UsageError((error as Error).message.replace(/\. To specify a positional.*$/s, ""));
  }
  if (values.help) {
    io.stdout.write(EMULATOR_USAGE);
    return EXIT_OK;
  }
  if (values.version) {
    io.stdout.write(`${io.version ?? "unknown"}\n`);
    return EXIT_OK;
  }
  const port = values.port === undefined ? undefined : parsePort(values.port);
  if (values.host === "") throw new UsageError("--host must not be empty");
  const driverApps = (values["driver-app"] ?? []).map(parseDriverAppFlag);

  const base =
    values.config === undefined ? defaultEmulatorOptions() : loadEmulatorConfig(values.config);
  // A flag's app replaces the config's app on the same cluster and port.
  const options: EmulatorOptions = mergeEmulatorOptions(base, { driverApps });
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

/** A malformed `--driver-app` is a usage error (exit 2), with the parser's explanation. */
function parseDriverAppFlag(spec: string): DriverAppConfig {
  try {
    return parseDriverAppSpec(spec);
  } catch (error) {
    if (error instanceof EmulatorConfigError) throw new UsageError(error.message);
    throw error;
  }
}

function parsePort(raw: string): number {
  const port = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isInteger(port) || port > 65535) {
    throw new UsageError(`--port must be an integer from 0 to 65535, got '${raw}'`);
  }
  return port;
}

/** Resolve when `signal` aborts; never without one. */
function untilAborted(signal: AbortSignal | undefined): Promise<void> {
  if (!signal) return new Promise<void>(() => undefined);
  if (signal.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => {
    signal.addEventListener("abort", () => resolve(), { once: true });
  });
}
