/** The built-in models `driver-app` can serve: echo, the emulator's n-gram generator, an endpoint. */
import type {
  DriverProxyModelFunction,
  DriverProxyModelOptions,
} from "langchain-databricks/driver-proxy";
import type { Databricks, DatabricksCallOptions, DatabricksInput } from "langchain-databricks";
import { CliUsageError } from "../errors.js";

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
 * The parts of `databricks-serving-emulator`'s backend API that `--backend ngram` uses. The
 * emulator is a separate, optional package (the library never depends on it), so its shape is
 * written down here rather than imported.
 */
interface NgramBackend {
  generate?(request: Record<string, unknown>): Promise<NgramResult> | NgramResult;
}
type NgramResult = string | string[] | { text?: string; choices?: { text?: string }[] };

/** The emulator's n-gram backend, from the optional `databricks-serving-emulator` package. */
async function loadNgramBackend(): Promise<NgramBackend> {
  // A variable specifier keeps bundlers and type checkers from treating it as a dependency.
  const specifier = "databricks-serving-emulator";
  let emulator: { createNgramBackend(options: object): NgramBackend };
  try {
    emulator = (await import(specifier)) as typeof emulator;
  } catch {
    throw new CliUsageError(
      "--backend ngram needs the databricks-serving-emulator package: npm install --save-dev databricks-serving-emulator (or use --backend echo)",
      "driver-app",
    );
  }
  return emulator.createNgramBackend({});
}

/** The emulator's deterministic trigram generator, called directly (no emulator server). */
function ngramModel(backend: NgramBackend): DriverProxyModelFunction {
  return async (prompt, options) => {
    const request: Record<string, unknown> = {
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

function firstText(result: NgramResult): string {
  if (typeof result === "string") return result;
  if (Array.isArray(result)) return result[0] ?? "";
  return result.choices?.[0]?.text ?? result.text ?? "";
}

function toJsonObject(value: Record<string, unknown>): Record<string, unknown> {
  // The request body came from JSON.parse, so it round-trips.
  return JSON.parse(JSON.stringify(value)) as Record<string, unknown>;
}
