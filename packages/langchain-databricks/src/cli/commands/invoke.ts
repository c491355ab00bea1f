/** `langchain-databricks invoke`: one prompt → one answer, through the package's `Databricks` LLM. */
import type { Generation } from "@langchain/core/outputs";
import type { Databricks, DatabricksCallOptions, DatabricksInput } from "langchain-databricks";
import { parseCommand } from "../args.js";
import { CliInterruptedError, CliUsageError, EXIT_OK, PROGRAM } from "../errors.js";
import { embeddingsEndpointError } from "../embeddings_hint.js";
import { readText, type CliInput, type CliIO } from "../io.js";
import { LLM_OPTIONS, LLM_OPTIONS_USAGE, llmSettings } from "../model_options.js";

const NAME = "invoke";

/** Help text of `invoke`. */
export const INVOKE_USAGE = `Usage: ${PROGRAM} invoke [options] [prompt]

Send one prompt to a Databricks serving endpoint or a cluster driver proxy app and print the
answer. The prompt is read from stdin when it is absent or '-'.

${LLM_OPTIONS_USAGE}

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
export const defaultCreateLlm: CreateDatabricks = async (options) => {
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
      ...LLM_OPTIONS,
      stream: { type: "boolean" },
      json: { type: "boolean" },
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

  const { input: options, stop } = llmSettings(NAME, values);

  const prompt =
    positionals[0] === undefined || positionals[0] === "-"
      ? await readPrompt(io.stdin, positionals[0] === "-")
      : positionals[0];

  const llm = await createLlm(options);
  const callOptions: DatabricksCallOptions = {};
  if (stop) callOptions.stop = stop;
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
    throw (await embeddingsEndpointError(llm, options.endpoint, error, NAME)) ?? error;
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
  const text = await readText(stdin);
  const prompt = text.replace(/\r?\n$/, "");
  if (prompt === "") throw new CliUsageError("the prompt read from stdin is empty", NAME);
  return prompt;
}
