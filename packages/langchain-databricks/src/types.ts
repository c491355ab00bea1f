/**
 * The options the model classes share, each declared once with its documentation. A class's own
 * `Input` and `CallOptions` types extend these, and its instance exposes them read-only under the
 * same names (the README's "Option names" has the table of names and aliases).
 */
import type { DatabricksConnectionOptions } from "./options.js";
import type { DatabricksClient } from "./transport/client.js";
import type { ModelFamily } from "./model_family.js";

/** Which serving endpoint a class queries. One name, two aliases, in every class. */
export interface DatabricksEndpointOptions {
  /**
   * Name of the serving endpoint to query (`POST /serving-endpoints/{endpoint}/invocations`).
   * Aliases: `model` (the LangChain.js and `databricks-langchain` name) and `endpointName` (the
   * Python `Databricks` class's `endpoint_name`). Give one of the three.
   */
  endpoint?: string | undefined;
  /** Alias of {@link DatabricksEndpointOptions.endpoint}. */
  model?: string | undefined;
  /** Alias of {@link DatabricksEndpointOptions.endpoint}. */
  endpointName?: string | undefined;
}

/**
 * Generation settings of `Databricks` and `ChatDatabricks`. Each may be set on the instance and
 * overridden per call; nothing unset is sent.
 */
export interface DatabricksGenerationOptions {
  /** Sampling temperature (`temperature`), a finite number >= 0. Sent only when set. */
  temperature?: number | undefined;
  /** Maximum tokens to generate (`max_tokens`), an integer >= 1. Sent only when set. */
  maxTokens?: number | undefined;
  /**
   * Stop sequences (`stop`): sent when non-empty, and the answer is also cut at the first one on
   * the client. A call's non-empty `stop` replaces the instance's. An empty call `stop` keeps the
   * instance's in `Databricks` (Python's `if stop:`) and sends none in `ChatDatabricks` (the
   * LangChain.js convention).
   */
  stop?: string[] | undefined;
  /**
   * Extra top-level request fields (`top_p`, `custom_inputs`, …), the Python successor's
   * `extra_params`. A call's `extraParams` is merged over the instance's. Against the named
   * options, each class keeps its Python counterpart's order: in `Databricks` an `extraParams`
   * key overrides the instance's `temperature`/`maxTokens`/`n` (a call's named option still
   * wins); in `ChatDatabricks` the named options win.
   */
  extraParams?: Record<string, unknown> | undefined;
  /**
   * Alias of {@link DatabricksGenerationOptions.extraParams} (the seed notebook's and the Python
   * class's `model_kwargs`); merged over `extraParams` when both are given.
   */
  modelKwargs?: Record<string, unknown> | undefined;
}

/**
 * Reasoning settings of `ChatDatabricks` (modern-serving §1.1). Each may be set on the instance and
 * overridden per call; nothing unset is sent.
 */
export interface DatabricksReasoningOptions {
  /**
   * Claude extended thinking, sent as the top-level `thinking` field unchanged, e.g.
   * `{type: "enabled", budget_tokens: 2048}` (`budget_tokens` must be below `maxTokens`) or
   * `{type: "adaptive"}` on the newest Claude models. On Claude endpoints it takes precedence over
   * `reasoningEffort`.
   */
  thinking?: Record<string, unknown> | undefined;
  /**
   * Reasoning effort (`reasoning_effort`) of gpt-oss and GPT-5 endpoints: `"low"`, `"medium"`,
   * `"high"` (the accepted values depend on the model). Claude endpoints refuse
   * `reasoning_effort`, so for an endpoint whose name contains `claude` it is sent as
   * `thinking: {type: "enabled", budget_tokens}` instead, with 1024, 2048 or 4096 tokens for
   * low, medium and high (other values are refused there: pass `thinking`).
   */
  reasoningEffort?: string | undefined;
}

/**
 * Inputs of agent endpoints (Databricks Agent Framework: ChatAgent, ResponsesAgent, and chat
 * models that accept them). Set on the instance and per call (the call's replaces the instance's);
 * the agent's `custom_outputs` come back in `response_metadata.custom_outputs`.
 */
export interface DatabricksAgentOptions {
  /** Sent as the top-level `custom_inputs` object, which the agent reads as it likes. */
  customInputs?: Record<string, unknown> | undefined;
  /** Sent as the top-level `context` object (e.g. `{conversation_id, user_id}`). */
  context?: Record<string, unknown> | undefined;
  /**
   * Ask an agent endpoint for its MLflow trace: sends `databricks_options: {return_trace: true}`.
   * The trace id comes back in `response_metadata.trace_id`, with the whole `databricks_output`
   * beside it. @default false
   */
  returnTrace?: boolean | undefined;
}

/**
 * Which route `ChatDatabricks` and `DatabricksEmbeddings` send requests to (modern-serving §6.1).
 * Instance only.
 */
export interface DatabricksGatewayOptions {
  /**
   * Send requests through the workspace's AI Gateway (`/ai-gateway/mlflow/v1/…`) instead of
   * `/serving-endpoints/…`, with the endpoint name (or a Unity Catalog model service such as
   * `system.ai.claude-sonnet-4-5`) as the body's `model`: chat to `…/chat/completions`, the
   * Responses API (`useResponsesApi`) to `…/responses` (the Supervisor API), embeddings to
   * `…/embeddings`. On the gateway tool `strict` and `store` are never sent (it refuses them).
   * A workspace without the gateway answers `404 ENDPOINT_NOT_FOUND` ("Invalid path").
   * The Python `use_ai_gateway`. @default false
   */
  useAiGateway?: boolean | undefined;
}

/** Which wire API `ChatDatabricks` speaks (modern-serving §3). Instance only. */
export interface DatabricksResponsesOptions {
  /**
   * Speak the OpenAI Responses API (`POST /serving-endpoints/responses`, endpoint name in `model`)
   * instead of chat completions on `/serving-endpoints/{endpoint}/invocations`: for OpenAI GPT
   * models (Codex-style models answer on Responses only) and ResponsesAgent endpoints. Messages
   * become `input` items, `maxTokens` is sent as `max_output_tokens`, `reasoningEffort` as
   * `reasoning: {effort}`; `stop`, `n > 1`, `thinking` and `streamOptions` have no Responses
   * counterpart and are refused. Reasoning items and executed tool calls come back in the message
   * (content blocks, `response_metadata.output`) and are re-sent unchanged on the next turn.
   * The Python `use_responses_api`. @default false
   */
  useResponsesApi?: boolean | undefined;
}

/**
 * Row packing: how many prompts of one `batch()` or `generate()` call share a request (`Databricks`
 * only). Instance only.
 */
export interface DatabricksRowPackingOptions {
  /**
   * Prompts per request in `batch()` and `generate()` on endpoints that take the MLflow scoring
   * envelope: custom MLflow models (no `task`, or `task: "custom"`), `llama2/chat`, and driver
   * proxy apps with `driverAppFormat: "dataframe_records"`. Up to `batchSize` prompts go as the
   * rows of one `{"dataframe_records": [...]}` request, each row the request that prompt alone
   * would have sent (`transformInputFn` runs per row), and the answer's `predictions` are mapped
   * back in order (`transformOutputFn` runs per prediction); a `predictions` list of another length
   * fails that request with a `DatabricksResponseError`. In `batch(…, {returnExceptions: true})` a
   * failed request fails only its own prompts. Packed requests count against `maxConcurrency` like
   * any other (several are in flight at once). `llm/v1/*` endpoints and plain driver apps keep one
   * request per prompt. An integer >= 1; 1 is one request per prompt, as the Python class sends.
   * @default 1
   */
  batchSize?: number | undefined;
  /**
   * The body a driver proxy app takes. `"prompt"`: the LangChain notebook contract, one
   * `{"prompt", "stop"?, ...}` per request answered with a JSON string. `"dataframe_records"`: the
   * MLflow scoring envelope, `{"dataframe_records": [row, ...]}` answered with
   * `{"predictions": [...]}` (one per row), which lets `batchSize` pack prompts; every request,
   * including a single `invoke`, is then sent that way.
   * @default "prompt"
   */
  driverAppFormat?: DriverAppFormat | undefined;
}

/** The bodies a driver proxy app can take; see {@link DatabricksRowPackingOptions.driverAppFormat}. */
export type DriverAppFormat = "prompt" | "dataframe_records";

/** Instance-only generation settings of `Databricks` and `ChatDatabricks`. */
export interface DatabricksChoiceOptions {
  /** Number of choices (`n`), an integer >= 1; only the first is returned. Sent only when set. */
  n?: number | undefined;
}

/**
 * Connection and endpoint options every class accepts (with LangChain's own `maxConcurrency`:
 * requests in flight at most per instance; a stream's request counts until its first event).
 */
export interface DatabricksModelOptions
  extends DatabricksConnectionOptions, DatabricksEndpointOptions {}

/**
 * `T`'s options as an instance exposes them once defaults are applied: read-only and defined
 * (a homomorphic mapped type, so each keeps the documentation of its option).
 */
export type Settled<T> = { readonly [K in keyof T]-?: NonNullable<T[K]> };

/** Everything `Databricks` and `ChatDatabricks` both accept: connection, endpoint, generation. */
export interface DatabricksLanguageModelOptions
  extends DatabricksModelOptions, DatabricksGenerationOptions, DatabricksChoiceOptions {}

/** The generation settings a single call may override. */
export type DatabricksGenerationCallOptions = Pick<
  DatabricksGenerationOptions,
  "temperature" | "maxTokens" | "extraParams" | "modelKwargs"
>;

/**
 * What every instance exposes whatever its class, read-only: the endpoint under its three names
 * and the transport. `E` is `string | undefined` for `Databricks` (no endpoint in driver proxy
 * mode) and `string` for the others.
 */
export interface DatabricksModelFields<E extends string | undefined = string> {
  /** The serving endpoint queried. */
  readonly endpoint: E;
  /** Alias of `endpoint` (the LangChain.js name). */
  readonly model: E;
  /** Alias of `endpoint` (the Python `Databricks` class's `endpoint_name`). */
  readonly endpointName: E;
  /** The transport (host, auth, User-Agent, retries). */
  readonly client: DatabricksClient;
}

/**
 * What a chat model can do, in the shape of LangChain's `ModelProfile` (`model.profile`, which
 * `createAgent` reads to choose a structured-output strategy). Declared here rather than imported
 * because `@langchain/core` releases before the profile have no such type.
 */
export interface DatabricksModelProfile {
  /** The model can call tools. */
  toolCalling?: boolean;
  /** The model accepts a forced `tool_choice` (a named tool or `"required"`). */
  toolChoice?: boolean;
  /** The model honours `response_format: {type: "json_schema", …}`. */
  structuredOutput?: boolean;
  /** The model returns reasoning content next to its answer. */
  reasoningOutput?: boolean;
  /** The model accepts images (as `data:` URLs). */
  imageInputs?: boolean;
  /** The model accepts images by remote `http(s)` URL. */
  imageUrlInputs?: boolean;
  /** Maximum input tokens. */
  maxInputTokens?: number;
  /** Maximum output tokens. */
  maxOutputTokens?: number;
}

/** `ChatDatabricks` options about the model behind the endpoint. */
export interface DatabricksChatModelOptions {
  /**
   * The family of the model the endpoint serves, which decides the model quirks `ChatDatabricks`
   * works around (e.g. tool `strict` is sent to GPT models only) and its `profile`. By default it
   * is guessed from the endpoint name (`guessModelFamily`: `claude`, `gpt`, `gpt-oss`, `gemini`,
   * …); set it for a custom-named endpoint, e.g. `modelFamily: "claude"` for `my-sonnet`.
   */
  modelFamily?: ModelFamily | undefined;
  /**
   * Fields merged over the profile derived from the model family (`ChatDatabricks.profile`),
   * e.g. `{ structuredOutput: false }`. Not to be confused with `profile`, the `~/.databrickscfg`
   * profile name.
   */
  modelProfile?: DatabricksModelProfile | undefined;
}
