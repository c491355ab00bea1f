/** The built-in models `driver-app` can serve: echo, the emulator's n-gram generator, an endpoint. */
import type {
  DriverProxyModelFunction,
  DriverProxyModelOptions,
} from "langchain-databricks/driver-proxy";
import type { Databricks, DatabricksCallOptions, DatabricksInput } from "langchain-databricks";
import { CliUsageError } from "../errors.js";
// eslint-disable-next-line no-restricted-imports -- types only: the optional peer used by --backend ngram
import type {
  Backend,
  BackendRequest,
  BackendResult,
  JsonObject,
} from "databricks-serving-emulator";

/** A parsed `--backend` value. */
export type DriverBackendSpec =
  { type: "echo" } | { type: "ngram" } | { type: "endpoint"; endpoint: string };

/** Parse `echo`, `ngram` or `endpoint:<name>`. */
export function parseDriverBackend(raw: string, command: string): DriverBackendSpec {
  if (raw === "echo" || raw === "ngram") return { type: raw };
  if (raw.startsWith("endpoint:")) {
    const endpoint = raw.slice("endpoint:".length);
    if (endpoint !== "") return { type: "endpoint", endpoint };
  }
  throw new CliUsageError(
    `--backend must be echo, ngram or endpoint:<name>, got '${raw}'`,
    command,
  );
}

/**
 * Build the model function of a backend. `endpoint:` backends resolve auth now, so configuration
 * errors show at start. Modules are loaded on use: echo needs neither the emulator nor LangChain.
 */
export async function createDriverBackend(
  spec: DriverBackendSpec,
  connection: Pick<DatabricksInput, "profile" | "timeout"> = {},
): Promise<DriverProxyModelFunction> {
  switch (spec.type) {
    case "echo":
      return (prompt) => prompt;
    case "ngram":
      return ngramModel(await loadNgramBackend());
    case "endpoint": {
      const { Databricks } = await import("langchain-databricks");
      return endpointModel(new Databricks({ ...connection, endpoint: spec.endpoint }));
    }
  }
}

/**
 * The emulator's n-gram backend. `databricks-serving-emulator` is an optional peer dependency of
 * this package (`peerDependenciesMeta`), used by this command only: the library never imports it.
 * Only its absence becomes the usage error; any other failure surfaces as it is.
 */
async function loadNgramBackend(): Promise<Backend> {
  try {
    const { createNgramBackend } = await import("databricks-serving-emulator");
    return createNgramBackend({});
  } catch (error) {
    if (isModuleNotFound(error, "databricks-serving-emulator")) {
      throw new CliUsageError(
        "--backend ngram needs the databricks-serving-emulator package: npm install --save-dev databricks-serving-emulator (or use --backend echo)",
        "driver-app",
      );
    }
    throw error;
  }
}

/** Whether `error` says that package `name` is not installed (Node, Bun and Deno codes). */
function isModuleNotFound(error: unknown, name: string): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : "";
  return (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") && message.includes(name);
}

/** The emulator's deterministic trigram generator, called directly (no emulator server). */
function ngramModel(backend: Backend): DriverProxyModelFunction {
  return async (prompt, options) => {
    const request: BackendRequest = {
      kind: "completion",
      endpoint: "driver-app",
      prompt,
      messages: [],
      input: [],
      n: 1,
      stop: options.stop ?? [],
      tools: [],
      body: toJsonObject({ ...options, prompt }),
    };
    const maxTokens = numberField(options, "max_tokens");
    if (maxTokens !== undefined) request.maxTokens = maxTokens;
    const temperature = numberField(options, "temperature");
    if (temperature !== undefined) request.temperature = temperature;
    const seed = numberField(options, "seed");
    if (seed !== undefined) request.seed = seed;
    if (!backend.generate) throw new Error("the ngram backend cannot generate text");
    return firstText(await backend.generate(request));
  };
}

/**
 * A serving endpoint behind the app. The request's snake_case fields map onto the class's call
 * options (`temperature`, `max_tokens` → `maxTokens`); the rest go through `extraParams`.
 */
function endpointModel(llm: Databricks): DriverProxyModelFunction {
  return (prompt, options) => {
    const { stop, temperature, max_tokens: maxTokens, ...rest } = options;
    const callOptions: DatabricksCallOptions = {};
    if (stop) callOptions.stop = stop;
    if (typeof temperature === "number") callOptions.temperature = temperature;
    else if (temperature !== undefined) rest["temperature"] = temperature;
    if (typeof maxTokens === "number") callOptions.maxTokens = maxTokens;
    else if (maxTokens !== undefined) rest["max_tokens"] = maxTokens;
    if (Object.keys(rest).length > 0) callOptions.extraParams = rest;
    return llm.invoke(prompt, callOptions);
  };
}

function numberField(options: DriverProxyModelOptions, name: string): number | undefined {
  const value = options[name];
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

function firstText(result: BackendResult): string {
  if (typeof result === "string") return result;
  if (Array.isArray(result)) return result[0] ?? "";
  return result.choices?.[0]?.text ?? result.text ?? "";
}

function toJsonObject(value: Record<string, unknown>): JsonObject {
  // The request body came from JSON.parse, so it round-trips.
  return JSON.parse(JSON.stringify(value)) as JsonObject;
}
