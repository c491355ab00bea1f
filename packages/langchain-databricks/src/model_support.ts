/**
 * What every model class shares, so that `Databricks`, `ChatDatabricks` and
 * `DatabricksEmbeddings` hold no copies of it: the client (host, auth, retries), concurrency
 * limiting, call and stream wrapping, option checks, endpoint names and serialization.
 */
import { AsyncCaller } from "@langchain/core/utils/async_caller";
import { DatabricksConfigError } from "./errors.js";
import {
  checkNumberOption,
  createDatabricksClient,
  type DatabricksConnectionOptions,
} from "./options.js";
import type { DatabricksClient } from "./transport/client.js";
import type { SseRules } from "./transport/sse.js";
import type { DatabricksEndpointOptions } from "./types.js";
import { asDatabricksError, withAbortAsDatabricksError } from "./utils/abort.js";
import { redactSecretKwargs } from "./serialization.js";
import { describeValue, nonEmpty } from "./utils/values.js";
import { packageVersion } from "./version.js";

/** The names of the three model classes, for messages. */
export type ModelClassName = "Databricks" | "ChatDatabricks" | "DatabricksEmbeddings";

/** Per-call transport settings a LangChain call can carry. */
export interface CallSettings {
  signal?: AbortSignal | undefined;
  maxRetries?: number | undefined;
  /** The endpoint's request-size limit, when the class knows it (`RequestOptions.maxRequestBytes`). */
  maxRequestBytes?: number | undefined;
}

/** What {@link ModelSupport} is built from: connection options plus LangChain's concurrency. */
export interface ModelSupportOptions extends DatabricksConnectionOptions {
  maxConcurrency?: number | undefined;
  /** See `DatabricksOwnOptions.clusterId` (the `Databricks` LLM only). */
  clusterId?: string | undefined;
}

/**
 * One per model instance: the shared transport plus the concurrency limit, with cancellation
 * reported as a `DatabricksAbortError` whatever layer noticed it.
 */
export class ModelSupport {
  /** The transport (host, auth, User-Agent, timeouts, the one retry layer). */
  readonly client: DatabricksClient;
  /**
   * LangChain's `AsyncCaller`, used only to limit concurrency: it never retries, because the
   * transport is the one retry layer (LangChain's 6 retries would multiply ours).
   */
  readonly caller: AsyncCaller;
  /** Cluster id resolved from the options, `DATABRICKS_CLUSTER_ID` or the config profile. */
  readonly clusterId: string | undefined;
  private readonly limited: boolean;

  /** @throws DatabricksConfigError when auth, host or connection options are invalid. */
  constructor(options: ModelSupportOptions) {
    const { client, clusterId } = createDatabricksClient(options);
    this.client = client;
    this.clusterId = clusterId;
    const maxConcurrency = options.maxConcurrency;
    // The queue and its retry wrapper measured 6–10 µs per call: skip them when nothing is limited.
    this.limited = maxConcurrency !== undefined && Number.isFinite(maxConcurrency);
    this.caller = new AsyncCaller({
      maxConcurrency: maxConcurrency ?? Infinity,
      maxRetries: 0,
      onFailedAttempt: (error: unknown) => {
        throw error;
      },
    });
  }

  /**
   * Give `model` what every class exposes, read-only (assigning to one throws a `TypeError`, so a
   * setting can never look changed while requests ignore it): its `caller` (this limiter),
   * `client`, `endpoint` with its aliases `model` and `endpointName`, and the class's own
   * `settings`. A LangChain-serialisable model also gets its secrets replaced in `lc_kwargs` and
   * is marked serialisable; a language model records the package version in its metadata.
   */
  attach(
    model: { caller: AsyncCaller },
    endpoint: string | undefined,
    settings: Record<string, unknown>,
  ): void {
    if (isSerializable(model)) {
      model.lc_kwargs = redactSecretKwargs(model.lc_kwargs);
      model.lc_serializable = true;
    }
    addPackageVersion(model);
    const fields: Record<string, unknown> = {
      caller: this.caller,
      client: this.client,
      endpoint,
      model: endpoint,
      endpointName: endpoint,
      ...settings,
    };
    for (const [key, value] of Object.entries(fields)) {
      Object.defineProperty(model, key, { value, enumerable: true, writable: false });
    }
  }

  /** Run `task` inside the concurrency limit; a cancellation becomes a `DatabricksAbortError`. */
  async call<T>(signal: AbortSignal | undefined, task: () => Promise<T>): Promise<T> {
    try {
      return await (this.limited
        ? this.caller.callWithOptions(signal ? { signal } : {}, task)
        : task());
    } catch (error) {
      throw asDatabricksError(error, signal);
    }
  }

  /** One JSON request (with retries) inside the concurrency limit. */
  requestJson<T = unknown>(
    method: "GET" | "POST",
    path: string,
    body: unknown,
    call: CallSettings,
  ): Promise<{ data: T; headers: Record<string, string> }> {
    return this.call(call.signal, () =>
      this.client.requestJson<T>(method, path, body, {
        signal: call.signal,
        maxRetries: call.maxRetries,
        maxRequestBytes: call.maxRequestBytes,
      }),
    );
  }

  /**
   * The events of an SSE answer. The request, its retries and the first event count against
   * `maxConcurrency`; the rest of the stream runs outside the limit. `onResponseHeaders` gets the
   * headers (`served-model-name`) before the first event. Leaving the loop closes the connection.
   */
  async *streamJson(
    path: string,
    body: unknown,
    call: CallSettings & {
      onResponseHeaders?: (headers: Record<string, string>) => void;
      sseRules?: SseRules | undefined;
    },
  ): AsyncGenerator<unknown> {
    const events = this.client.streamJson(path, body, {
      signal: call.signal,
      maxRetries: call.maxRetries,
      maxRequestBytes: call.maxRequestBytes,
      onResponseHeaders: call.onResponseHeaders,
      sseRules: call.sseRules,
    });
    try {
      let step = await this.call(call.signal, () => events.next());
      while (!step.done) {
        yield step.value;
        step = await events.next();
      }
    } finally {
      await events.return(undefined);
    }
  }

  /** Re-yield a model's stream, reporting LangChain's cancellation as a `DatabricksAbortError`. */
  cancellable<T>(stream: AsyncGenerator<T>, signal: AbortSignal | undefined): AsyncGenerator<T> {
    return withAbortAsDatabricksError(stream, signal);
  }
}

/**
 * The endpoint name from `endpoint` or its aliases `model` and `endpointName` (blank counts as
 * unset). Undefined when none is given; an error when two disagree.
 */
export function resolveEndpoint(
  fields: DatabricksEndpointOptions,
  className: ModelClassName,
): string | undefined {
  const given = (["endpoint", "model", "endpointName"] as const)
    .map(
      (key) =>
        [key, nonEmpty(stringOption(fields[key], key, "the serving endpoint's name"))] as const,
    )
    .filter((entry): entry is readonly [(typeof entry)[0], string] => entry[1] !== undefined);
  const [first, ...rest] = given;
  const other = rest.find(([, value]) => value !== first?.[1]);
  if (first && other) {
    throw new DatabricksConfigError(
      `${className} got two endpoints: \`${first[0]}\` ("${first[1]}") and \`${other[0]}\` ("${other[1]}"). They are aliases: pass only \`endpoint\`.`,
    );
  }
  return first?.[1];
}

/**
 * A string option as given, `undefined` when unset; anything else (a number, an object) is refused
 * naming the option, instead of failing later with a `TypeError` about `.trim`.
 */
export function stringOption(value: unknown, name: string, what: string): string | undefined {
  if (value === undefined || value === null || typeof value === "string") return value ?? undefined;
  throw new DatabricksConfigError(
    `Invalid ${name}: expected a string (${what}), got ${describeValue(value)}.`,
  );
}

/** The Python classes' keyword names, which a config ported from Python may still use. */
const PYTHON_OPTION_NAMES: Readonly<Record<string, string>> = {
  endpoint_name: "endpoint",
  cluster_id: "clusterId",
  cluster_driver_port: "clusterDriverPort",
  api_token: "token",
  model_kwargs: "extraParams",
  extra_params: "extraParams",
  max_tokens: "maxTokens",
  batch_size: "batchSize",
  transform_input_fn: "transformInputFn",
  transform_output_fn: "transformOutputFn",
  databricks_uri: "profile",
  target_uri: "profile",
  query_params: "queryParams",
  documents_params: "documentsParams",
  use_responses_api: "useResponsesApi",
  use_ai_gateway: "useAiGateway",
  custom_inputs: "customInputs",
  allow_dangerous_deserialization: "(nothing: functions are never deserialized)",
};

/**
 * Options that belong to a sibling class. Passing one would be silently ignored, which hides a
 * mistake (a chat model given a cluster, embeddings given a temperature): each is refused with
 * the class that uses it.
 */
const CLASS_OPTIONS: Readonly<Record<string, readonly ModelClassName[]>> = {
  clusterId: ["Databricks"],
  clusterDriverPort: ["Databricks"],
  task: ["Databricks"],
  transformInputFn: ["Databricks"],
  transformOutputFn: ["Databricks"],
  temperature: ["Databricks", "ChatDatabricks"],
  maxTokens: ["Databricks", "ChatDatabricks"],
  n: ["Databricks", "ChatDatabricks"],
  stop: ["Databricks", "ChatDatabricks"],
  extraParams: ["Databricks", "ChatDatabricks"],
  modelKwargs: ["Databricks", "ChatDatabricks"],
  streaming: ["ChatDatabricks"],
  streamUsage: ["ChatDatabricks"],
  streamOptions: ["ChatDatabricks"],
  thinking: ["ChatDatabricks"],
  reasoningEffort: ["ChatDatabricks"],
  modelFamily: ["ChatDatabricks"],
  customInputs: ["ChatDatabricks"],
  context: ["ChatDatabricks"],
  returnTrace: ["ChatDatabricks"],
  modelProfile: ["ChatDatabricks"],
  useResponsesApi: ["ChatDatabricks"],
  useAiGateway: ["ChatDatabricks", "DatabricksEmbeddings"],
  queryParams: ["DatabricksEmbeddings"],
  documentsParams: ["DatabricksEmbeddings"],
  batchSize: ["Databricks", "DatabricksEmbeddings"],
  driverAppFormat: ["Databricks"],
  inputFormat: ["DatabricksEmbeddings"],
  inputColumn: ["DatabricksEmbeddings"],
};

/**
 * Checks every class runs on its constructor fields before handing them to LangChain's base
 * constructor (which builds an `AsyncCaller` from `maxConcurrency` and would fail with a raw
 * `TypeError`): Python keyword names and sibling-class options are refused, and `maxConcurrency`
 * must be a positive integer. Returns the fields, for `super(checkModelFields(fields, …))`.
 */
export function checkModelFields<T extends { maxConcurrency?: number | undefined }>(
  fields: T,
  className: ModelClassName,
): T {
  rejectForeignOptions(fields, className);
  // Infinity is LangChain's own "no limit".
  if (fields.maxConcurrency !== Infinity) {
    const note = "(or leave it unset for no limit)";
    checkNumberOption(fields.maxConcurrency, "maxConcurrency", { integer: true, min: 1, note });
  }
  return fields;
}

/**
 * `batchSize` checked (an integer >= 1), or `fallback` when unset: `Databricks` packs prompts and
 * `DatabricksEmbeddings` texts per request under the same name.
 */
export function checkBatchSize(batchSize: number | undefined, fallback: number): number {
  const note = "(the number of inputs sent in one request)";
  checkNumberOption(batchSize, "batchSize", { integer: true, min: 1, note });
  return batchSize ?? fallback;
}

/**
 * Refuse Python keyword names and options of a sibling class, naming what to use instead, so a
 * misplaced option fails at construction rather than being ignored.
 */
function rejectForeignOptions(fields: object, className: ModelClassName): void {
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    const camel = PYTHON_OPTION_NAMES[key];
    if (camel !== undefined) {
      throw new DatabricksConfigError(
        `Unknown option \`${key}\` (the Python classes' name): use \`${camel}\` instead.`,
      );
    }
    const owners = CLASS_OPTIONS[key];
    if (owners && !owners.includes(className)) {
      throw new DatabricksConfigError(
        `${className} does not use \`${key}\`: it is an option of ${owners.join(" and ")}. Remove it.`,
      );
    }
  }
}

/**
 * Record this package's version in a language model's LangChain metadata (`metadata.versions`,
 * which LangSmith shows). `_addVersion` is protected and exists from `@langchain/core` 1.1.29
 * only: on older cores there is nothing to record into, and nothing is lost.
 */
function addPackageVersion(model: object): void {
  const add = (model as { _addVersion?: (pkg: string, version: string) => void })._addVersion;
  if (typeof add === "function") add.call(model, "langchain-databricks", packageVersion());
}

/** A LangChain `Serializable` (the language models; `Embeddings` is not one). */
function isSerializable(
  model: object,
): model is { lc_kwargs: Record<string, unknown>; lc_serializable: boolean } {
  return "lc_kwargs" in model && "lc_serializable" in model;
}
