/**
 * The options every model command shares (`invoke`, `batch`, `embed`): the connection, the
 * target (serving endpoint or driver proxy app) and the generation settings, declared and checked
 * once so the commands cannot drift apart.
 */
import type { DatabricksInput } from "langchain-databricks";
import {
  durationOption,
  integerOption,
  numberOption,
  type OptionTable,
  type OptionValues,
} from "./args.js";
import { CliUsageError } from "./errors.js";

/** Connection options (credentials never come from the command line). */
export const CONNECTION_OPTIONS = {
  host: { type: "string" },
  profile: { type: "string" },
  timeout: { type: "string" },
} as const satisfies OptionTable;

/** Target options of the `Databricks` LLM: a serving endpoint or a driver proxy app. */
export const TARGET_OPTIONS = {
  endpoint: { type: "string" },
  "cluster-id": { type: "string" },
  port: { type: "string" },
  task: { type: "string" },
} as const satisfies OptionTable;

/** Generation settings of the `Databricks` LLM. */
export const GENERATION_OPTIONS = {
  stop: { type: "string", multiple: true },
  temperature: { type: "string" },
  "max-tokens": { type: "string" },
} as const satisfies OptionTable;

/** Everything `invoke` and `batch` take to build a `Databricks` LLM. */
export const LLM_OPTIONS = {
  ...TARGET_OPTIONS,
  ...CONNECTION_OPTIONS,
  ...GENERATION_OPTIONS,
} as const satisfies OptionTable;

/** Help text of {@link LLM_OPTIONS}, shared by the commands' `--help`. */
export const LLM_OPTIONS_USAGE = `Target (one of):
  --endpoint NAME       serving endpoint (POST /serving-endpoints/NAME/invocations)
  --port PORT           driver proxy app port on the cluster driver
  --cluster-id ID       cluster of the driver proxy app (default: DATABRICKS_CLUSTER_ID or the
                        profile's cluster_id)

Connection (default: Databricks unified auth from DATABRICKS_* variables or ~/.databrickscfg):
${connectionUsage()}

Generation:
  --stop TEXT           stop sequence; repeat for several
  --temperature T       sampling temperature
  --max-tokens N        maximum tokens to generate
  --task TASK           endpoint task, skips the metadata lookup (llm/v1/completions, llm/v1/chat,
                        custom, ...); --endpoint only`;

/** Help text of {@link CONNECTION_OPTIONS}. */
export function connectionUsage(): string {
  return `  --host URL            workspace URL (DATABRICKS_HOST)
  --profile NAME        ~/.databrickscfg profile (DATABRICKS_CONFIG_PROFILE)
  --timeout DURATION    per-request timeout: seconds, or 500ms / 30s / 2m (default 120s)`;
}

/** The connection settings shared by every model class. */
export interface ConnectionInput {
  host?: string;
  profile?: string;
  timeout?: number;
}

/** Check and map {@link CONNECTION_OPTIONS}. */
export function connectionInput(
  command: string,
  values: OptionValues<typeof CONNECTION_OPTIONS>,
): ConnectionInput {
  const input: ConnectionInput = {};
  if (values.host !== undefined) input.host = values.host;
  if (values.profile !== undefined) input.profile = values.profile;
  if (values.timeout !== undefined) {
    input.timeout = durationOption(command, "timeout", values.timeout);
  }
  return input;
}

/** The `Databricks` options and call-time stop sequences a command line asks for. */
export interface LlmSettings {
  input: DatabricksInput;
  stop: string[] | undefined;
}

/** Check {@link LLM_OPTIONS} (one target, consistent flags) and map them to `Databricks` options. */
export function llmSettings(
  command: string,
  values: OptionValues<typeof LLM_OPTIONS>,
): LlmSettings {
  const endpoint = values.endpoint;
  const clusterId = values["cluster-id"];
  const driver = values.port !== undefined || clusterId !== undefined;
  if (endpoint !== undefined && driver) {
    throw new CliUsageError("use either --endpoint or --cluster-id/--port, not both", command);
  }
  if (endpoint === undefined && values.port === undefined) {
    throw new CliUsageError(
      clusterId !== undefined
        ? "--cluster-id needs --port (the driver proxy app's port)"
        : "no target: pass --endpoint NAME, or --port PORT for a driver proxy app",
      command,
    );
  }
  if (endpoint === "") throw new CliUsageError("--endpoint must not be empty", command);
  if (driver && values.task !== undefined) {
    throw new CliUsageError("--task applies to --endpoint only", command);
  }
  const temperature =
    values.temperature === undefined
      ? undefined
      : numberOption(command, "temperature", values.temperature, 0);
  const maxTokens =
    values["max-tokens"] === undefined
      ? undefined
      : integerOption(command, "max-tokens", values["max-tokens"], 1, Number.MAX_SAFE_INTEGER);

  const input: DatabricksInput = {};
  if (endpoint !== undefined) {
    input.endpoint = endpoint;
    if (values.task !== undefined) input.task = values.task;
  } else {
    input.clusterDriverPort = integerOption(command, "port", values.port ?? "", 1, 65535);
    if (clusterId !== undefined) input.clusterId = clusterId;
  }
  // The class sends these as `temperature` / `max_tokens` to `llm/*` endpoints and driver apps,
  // never to custom models (whose signatures define their columns), as the Python class does.
  if (temperature !== undefined) input.temperature = temperature;
  if (maxTokens !== undefined) input.maxTokens = maxTokens;
  Object.assign(input, connectionInput(command, values));
  const stop = values.stop && values.stop.length > 0 ? values.stop : undefined;
  return { input, stop };
}
