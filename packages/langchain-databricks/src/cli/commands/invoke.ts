/** `langchain-databricks invoke`: one prompt → one answer, through the package's `Databricks` LLM. */
import type { Generation } from "@langchain/core/outputs";
import type { Databricks, DatabricksCallOptions, DatabricksInput } from "langchain-databricks";
import { durationOption, integerOption, numberOption, parseCommand } from "../args.js";
import { CliInterruptedError, CliUsageError, EXIT_OK, PROGRAM } from "../errors.js";
import type { CliInput, CliIO } from "../io.js";

const NAME = "invoke";

/** Help text of `invoke`. */
export const INVOKE_USAGE = `Usage: ${PROGRAM} invoke [options] [prompt]

Send one prompt to a Databricks serving endpoint or a cluster driver proxy app and print the
answer. The prompt is read from stdin when it is absent or '-'.

Target (one of):
  --endpoint NAME       serving endpoint (POST /serving-endpoints/NAME/invocations)
  --port PORT           driver proxy app port on the cluster driver
  --cluster-id ID       cluster of the driver proxy app (default: DATABRICKS_CLUSTER_ID or the
                        profile's cluster_id)

Connection (default: Databricks unified auth from DATABRICKS_* variables or ~/.databrickscfg):
  --host URL            workspace URL (DATABRICKS_HOST)
  --profile NAME        ~/.databrickscfg profile (DATABRICKS_CONFIG_PROFILE)
  --timeout DURATION    per-request timeout: seconds, or 500ms / 30s / 2m (default 120s)

Generation:
  --stop TEXT           stop sequence; repeat for several
  --temperature T       sampling temperature
  --max-tokens N        maximum tokens to generate
  --task TASK           endpoint task, skips the metadata lookup (llm/v1/completions, llm/v1/chat,
                        custom, ...); --endpoint only

Output:
  --stream              print tokens as they arrive
  --json                print {"text", "response", "servedModelName"} as JSON: the answer, the
                        server's whole JSON answer as received, and the served-model-name
                        header (when sent); not with --stream
  -h, --help            show this help

Credentials are never taken on the command line: use DATABRICKS_TOKEN, DATABRICKS_CLIENT_ID and
DATABRICKS_CLIENT_SECRET, or a profile. --temperature and --max-tokens are sent as the
'temperature' and 'max_tokens' fields to llm/* endpoints and driver proxy apps; custom model
endpoints do not get them.

Examples:
  ${PROGRAM} invoke --endpoint my-llm "How are you?"
  echo "Tell me a joke" | ${PROGRAM} invoke --port 7777 --cluster-id 0101-abc --stream
`;

/** Factory seam for tests: how `invoke` builds its LLM. */
export type CreateDatabricks = (options: DatabricksInput) => Databricks | Promise<Databricks>;

/** Loaded on use, so `--help` and the other commands do not pay for `@langchain/core`. */
const defaultCreateLlm: CreateDatabricks = async (options) => {
  const { Databricks } = await import("langchain-databricks");
  return new Databricks(options);
};

/** Run `invoke`; returns the exit code, throws usage and runtime errors. */
export async function runInvoke(
  io: CliIO,
  argv: readonly string[],
  createLlm: CreateDatabricks = defaultCreateLlm,
): Promise<number> {
  const line = parseCommand(io.stdout, argv, {
    name: NAME,
    usage: INVOKE_USAGE,
    positionals: true,
    options: {
      endpoint: { type: "string" },
      "cluster-id": { type: "string" },
      port: { type: "string" },
      host: { type: "string" },
      profile: { type: "string" },
      stop: { type: "string", multiple: true },
      temperature: { type: "string" },
      "max-tokens": { type: "string" },
      task: { type: "string" },
      stream: { type: "boolean" },
      json: { type: "boolean" },
      timeout: { type: "string" },
    },
  });
  if (line === undefined) return EXIT_OK;
  const { values, positionals } = line;
  if (positionals.length > 1) {
    throw new CliUsageError(
      `expected at most one prompt argument, got ${positionals.length} (quote the prompt)`,
      NAME,
    );
  }
  if (values.stream && values.json) {
    throw new CliUsageError("--stream and --json cannot be combined", NAME);
  }

  const endpoint = values.endpoint;
  const clusterId = values["cluster-id"];
  const driver = values.port !== undefined || clusterId !== undefined;
  if (endpoint !== undefined && driver) {
    throw new CliUsageError("use either --endpoint or --cluster-id/--port, not both", NAME);
  }
  if (endpoint === undefined && values.port === undefined) {
    throw new CliUsageError(
      clusterId !== undefined
        ? "--cluster-id needs --port (the driver proxy app's port)"
        : "no target: pass --endpoint NAME, or --port PORT for a driver proxy app",
      NAME,
    );
  }
  if (endpoint === "") throw new CliUsageError("--endpoint must not be empty", NAME);
  if (driver && values.task !== undefined) {
    throw new CliUsageError("--task applies to --endpoint only", NAME);
  }

  const temperature =
    values.temperature === undefined
      ? undefined
      : numberOption(NAME, "temperature", values.temperature, 0);
  const maxTokens =
    values["max-tokens"] === undefined
      ? undefined
      : integerOption(NAME, "max-tokens", values["max-tokens"], 1, Number.MAX_SAFE_INTEGER);

  const options: DatabricksInput = {};
  if (endpoint !== undefined) {
    options.endpoint = endpoint;
    if (values.task !== undefined) options.task = values.task;
  } else {
    options.clusterDriverPort = integerOption(NAME, "port", values.port ?? "", 1, 65535);
    if (clusterId !== undefined) options.clusterId = clusterId;
  }
  // The class sends these as `temperature` / `max_tokens` to `llm/*` endpoints and driver apps,
  // never to custom models (whose signatures define their columns), as the Python class does.
  if (temperature !== undefined) options.temperature = temperature;
  if (maxTokens !== undefined) options.maxTokens = maxTokens;
  if (values.host !== undefined) options.host = values.host;
  if (values.profile !== undefined) options.profile = values.profile;
  if (values.timeout !== undefined) {
    options.timeout = durationOption(NAME, "timeout", values.timeout);
  }

  const prompt =
    positionals[0] === undefined || positionals[0] === "-"
      ? await readPrompt(io.stdin, positionals[0] === "-")
      : positionals[0];

  const llm = await createLlm(options);
  const callOptions: DatabricksCallOptions = {};
  if (values.stop && values.stop.length > 0) callOptions.stop = values.stop;
  if (io.signal) callOptions.signal = io.signal;

  try {
    if (values.json) {
      const result = await llm.generate([prompt], callOptions);
      io.stdout.write(`${JSON.stringify(jsonOutput(result.generations[0]?.[0]), null, 2)}\n`);
      return EXIT_OK;
    }
    let last = "";
    if (values.stream) {
      for await (const chunk of await llm.stream(prompt, callOptions)) {
        if (chunk === "") continue;
        io.stdout.write(chunk);
        last = chunk;
      }
    } else {
      last = await llm.invoke(prompt, callOptions);
      io.stdout.write(last);
    }
    if (!last.endsWith("\n")) io.stdout.write("\n");
    return EXIT_OK;
  } catch (error) {
    if (io.signal?.aborted) throw new CliInterruptedError();
    throw error;
  }
}

/**
 * What `--json` prints: the answer's text (after stop sequences), the endpoint's or driver app's
 * whole JSON answer as received (`generationInfo.response`), and the `served-model-name` header
 * when the server sent one.
 */
function jsonOutput(generation: Generation | undefined): Record<string, unknown> {
  const info = generation?.generationInfo ?? {};
  const output: Record<string, unknown> = { text: generation?.text ?? "" };
  // `null` stands for an answer that did not come back (never the case for a 2xx JSON answer).
  output["response"] = info["response"] ?? null;
  const servedModelName = info["served_model_name"];
  if (typeof servedModelName === "string") output["servedModelName"] = servedModelName;
  return output;
}

/**
 * The prompt from stdin, without one trailing newline (what `echo` adds). Refuses a terminal
 * unless `-` was given explicitly, so a forgotten prompt does not hang silently.
 */
async function readPrompt(stdin: CliInput, explicit: boolean): Promise<string> {
  if (stdin.isTTY && !explicit) {
    throw new CliUsageError("no prompt: pass it as an argument, or pipe it on stdin", NAME);
  }
  const decoder = new TextDecoder();
  let text = "";
  for await (const chunk of stdin) {
    text += typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true });
  }
  text += decoder.decode();
  const prompt = text.replace(/\r?\n$/, "");
  if (prompt === "") throw new CliUsageError("the prompt read from stdin is empty", NAME);
  return prompt;
}
