/** `langchain-databricks driver-app`: serve a built-in model as a driver proxy app until SIGINT. */
import {
  DEFAULT_DRIVER_PROXY_PORT,
  defaultDriverProxyHost,
  parseDriverProxyPort,
  serveDriverProxyApp,
} from "langchain-databricks/driver-proxy";
import { durationOption, parseCommand } from "../args.js";
import { CliUsageError, EXIT_OK, PROGRAM } from "../errors.js";
import type { CliIO } from "../io.js";
import { untilAborted } from "../shutdown.js";
import { createDriverBackend, parseDriverBackend } from "./driver_backends.js";

const NAME = "driver-app";

/** Help text of `driver-app`. */
export const DRIVER_APP_USAGE = `Usage: ${PROGRAM} driver-app [--port N] [--host H] [--backend B] [options]

Serve a model as a cluster driver proxy app (POST / with {"prompt", "stop"?, ...} answering a
JSON string, GET / as a health check) until Ctrl-C. stdout gets the app's URL.

Options:
  --port N          port to listen on (default ${DEFAULT_DRIVER_PROXY_PORT}; recommended 3000-8000)
  --host H          address to listen on (default 0.0.0.0 on a Databricks driver, where
                    DATABRICKS_RUNTIME_VERSION is set, else 127.0.0.1)
  --backend B       echo (default): answers the prompt
                    ngram: the emulator's deterministic toy text generator
                    endpoint:NAME: forwards to a Databricks serving endpoint (unified auth)
  --profile NAME    ~/.databrickscfg profile for endpoint:NAME
  --timeout DURATION  per-request timeout for endpoint:NAME (seconds, or 500ms / 30s / 2m)
  --quiet           no request log on stderr
  -h, --help        show this help
`;

/** Run `driver-app`; resolves with 0 once `io.signal` aborts and the server has closed. */
export async function runDriverApp(io: CliIO, argv: readonly string[]): Promise<number> {
  const line = parseCommand(io.stdout, argv, {
    name: NAME,
    usage: DRIVER_APP_USAGE,
    options: {
      port: { type: "string" },
      host: { type: "string" },
      backend: { type: "string" },
      profile: { type: "string" },
      timeout: { type: "string" },
      quiet: { type: "boolean" },
    },
  });
  if (line === undefined) return EXIT_OK;
  const { values } = line;
  let port: number;
  try {
    port = parseDriverProxyPort(values.port);
  } catch (error) {
    throw new CliUsageError(`--port: ${(error as Error).message}`, NAME);
  }
  if (values.host === "") throw new CliUsageError("--host must not be empty", NAME);
  const backend = parseDriverBackend(values.backend ?? "echo", NAME);
  if (
    backend.type !== "endpoint" &&
    (values.profile !== undefined || values.timeout !== undefined)
  ) {
    throw new CliUsageError("--profile and --timeout apply to --backend endpoint:NAME only", NAME);
  }
  const connection: { profile?: string; timeout?: number } = {};
  if (values.profile !== undefined) connection.profile = values.profile;
  if (values.timeout !== undefined) {
    connection.timeout = durationOption(NAME, "timeout", values.timeout);
  }

  const model = await createDriverBackend(backend, connection);
  const app = await serveDriverProxyApp({
    model,
    port,
    host: values.host ?? defaultDriverProxyHost(io.env),
    warn: (message) => io.stderr.write(`${PROGRAM}: warning: ${message}\n`),
    ...(values.quiet ? {} : { log: (line: string) => io.stderr.write(`${line}\n`) }),
  });
  try {
    io.stdout.write(`${app.url}\n`);
    if (!values.quiet) {
      const name = backend.type === "endpoint" ? `endpoint:${backend.endpoint}` : backend.type;
      io.stderr.write(
        `# driver proxy app (${name} backend) listening on ${app.host}:${app.port}; Ctrl-C to stop\n`,
      );
    }
    await untilAborted(io.signal);
  } finally {
    await app.close();
  }
  return EXIT_OK;
}
