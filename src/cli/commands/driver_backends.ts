/** The built-in models `driver-app` can serve: echo, the emulator's n-gram generator, an endpoint. */
import type {
  DriverProxyModelFunction,
  DriverProxyModelOptions,
} from "../../driver_proxy/index.js";
import type { Backend, BackendRequest, BackendResult, JsonObject } from "../../emulator/index.js";
import type { Databricks, DatabricksCallOptions, DatabricksInput } from "../../llms.js";
import { CliUsageError } from "../errors.js";

/** A parsed `--backend` value. */
export type DriverBackendSpec =
  { type: "echo" } | { type: "ngram" } | { type: "endpoint"; endpointName: string };

/** Parse `echo`, `ngram` or `endpoint:<name>`. */
export function parseDriverBackend(raw: string, command: string): DriverBackendSpec {
  if (raw === "echo" || raw === "ngram") return { type: raw };
  if (raw.startsWith("endpoint:")) {
    const endpointName = raw.slice("endpoint:".length);
    if (endpointName !== "") return { type: "endpoint", endpointName };
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
    case "ngram": {
      const { createNgramBackend } = await import("../../emulator/index.js");
      return ngramModel(createNgramBackend({}));
    }
    case "endpoint": {
      const { Databricks } = await import("../../llms.js");
      return endpointModel(new Databricks({ ...connection, endpointName: spec.endpointName }));
    }
  }
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
 * options (`temperature`, `max_tokens` → `maxTokens`); the rest go through `modelKwargs`.
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
    if (Object.keys(rest).length > 0) callOptions.modelKwargs = rest;
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
