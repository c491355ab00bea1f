import type { CallbackManagerForLLMRun } from "@langchain/core/callbacks/manager";
import {
  LLM,
  type BaseLLMCallOptions,
  type BaseLLMParams,
} from "@langchain/core/language_models/llms";
import type { Serialized } from "@langchain/core/load/serializable";
import { GenerationChunk, type Generation, type LLMResult } from "@langchain/core/outputs";
import { DatabricksConfigError, DatabricksResponseError } from "./errors.js";
import {
  CONNECTION_SECRETS,
  callLimited,
  createCaller,
  limitedStream,
  createDatabricksClient,
  markUnserializableKwargs,
  redactSecretKwargs,
  type DatabricksConnectionOptions,
} from "./options.js";
import type { DatabricksClient } from "./transport/client.js";
import {
  canStream,
  extractPrediction,
  isLlmTask,
  profileFromMetadata,
  profileFromTask,
  requireText,
  textFromPrediction,
  wrapRequest,
  type EndpointProfile,
} from "./utils/envelopes.js";
import { asDatabricksError, waitFor, withAbortAsDatabricksError } from "./utils/abort.js";
import { readEnv } from "./utils/env.js";
import { driverProxyPath, endpointMetadataPath, invocationsPath } from "./utils/paths.js";
import { cutAtStop, llmStop, StreamingStopCutter } from "./utils/stop.js";
import { assignDefined, isRecord, nonEmpty, setIfDefined } from "./utils/values.js";

/** A request body as `Databricks` builds it: `{prompt, ...}` before the endpoint envelope. */
export type DatabricksRequest = Record<string, unknown>;

/** Reshapes the request body before it is sent; may be async. */
export type TransformInputFn = (
  request: DatabricksRequest,
) => DatabricksRequest | Promise<DatabricksRequest>;
/** Turns the endpoint's raw answer (custom models: the first prediction) into text; may be async. */
export type TransformOutputFn = (response: unknown) => string | Promise<string>;

/** Options of one call (`invoke(prompt, options)`), overriding the instance's for that call. */
export interface DatabricksCallOptions extends BaseLLMCallOptions {
  /** Stop sequences for this call: sent to the server and applied to the answer. */
  stop?: string[];
  /** Extra request fields for this call, merged over the instance's `modelKwargs`/`extraParams`. */
  modelKwargs?: Record<string, unknown>;
  /** Sampling temperature for this call (sent to `llm/*` endpoints). */
  temperature?: number;
  /** Maximum tokens for this call (sent to `llm/*` endpoints as `max_tokens`). */
  maxTokens?: number;
}

/** Constructor options of {@link Databricks}. */
export interface DatabricksInput extends BaseLLMParams, DatabricksConnectionOptions {
  /** Serving endpoint to query (`POST /serving-endpoints/{name}/invocations`). */
  endpointName?: string;
  /**
   * Cluster whose driver runs the app (driver proxy mode). Defaults to `DATABRICKS_CLUSTER_ID` or the
   * config profile's `cluster_id` when `clusterDriverPort` is given.
   */
  clusterId?: string;
  /** Port of the app on the cluster driver (driver proxy mode), e.g. `"7777"`. */
  clusterDriverPort?: string | number;
  /** Alias of `token` (the Python class's `api_token`). */
  apiToken?: string;
  /** Extra request fields merged into every request (the seed's name). Must not hold `prompt` or `stop`. */
  modelKwargs?: Record<string, unknown>;
  /** Extra request fields (the Python successor's name); merged with `modelKwargs`, which wins. */
  extraParams?: Record<string, unknown>;
  /** Sampling temperature, sent only when set and only to `llm/*` endpoints. */
  temperature?: number;
  /** Maximum tokens, sent as `max_tokens` only when set and only to `llm/*` endpoints. */
  maxTokens?: number;
  /** Number of choices, sent only when set and only to `llm/*` endpoints (the first is used). */
  n?: number;
  /** Default stop sequences: sent when non-empty and applied to every answer. */
  stop?: string[];
  /**
   * The endpoint's task. When set, the endpoint metadata request is skipped: `llm/v1/completions`
   * and `llm/v1/chat` mean an OpenAI-style body, `llama2/chat` and `custom` the custom-model
   * envelope.
   */
  task?: string;
  /** Reshapes the request (`{prompt, stop?, ...}`) before it is sent. May be async. */
  transformInputFn?: TransformInputFn;
  /** Turns the raw answer into text. May be async. */
  transformOutputFn?: TransformOutputFn;
}

/** Where requests go, decided once at construction. */
type Target =
  | { kind: "serving"; endpointName: string; path: string }
  | { kind: "driver"; clusterId: string; port: string; path: string };

const PROMPT_KWARG_HINT = "Use `transformInputFn` to shape the prompt instead.";

/**
 * LangChain LLM for Databricks Model Serving endpoints and cluster driver proxy apps, the TypeScript
 * counterpart of Python's `langchain_community.llms.Databricks`.
 *
 * Serving mode (`endpointName`) posts to `/serving-endpoints/{name}/invocations`, choosing the body
 * envelope from the endpoint's task (read once, lazily). Driver proxy mode (`clusterDriverPort`,
 * optionally `clusterId`) posts the same body to `/driver-proxy-api/o/0/{clusterId}/{port}`.
 */
export class Databricks extends LLM<DatabricksCallOptions> {
  static override lc_name(): string {
    return "Databricks";
  }

  override lc_serializable = true;

  override get lc_secrets(): Record<string, string> {
    return { ...CONNECTION_SECRETS };
  }

  /** Serving endpoint name (serving mode), else undefined. */
  endpointName: string | undefined;
  /** Resolved cluster id (driver proxy mode), else undefined. */
  clusterId: string | undefined;
  /** Driver app port as a string (driver proxy mode), else undefined. */
  clusterDriverPort: string | undefined;
  /** `extraParams` merged with `modelKwargs`: extra fields of every request. */
  modelKwargs: Record<string, unknown>;
  /** Sampling temperature, when set. */
  temperature: number | undefined;
  /** Maximum tokens (`max_tokens`), when set. */
  maxTokens: number | undefined;
  /** Number of choices, when set. */
  n: number | undefined;
  /** Default stop sequences. */
  stop: string[] | undefined;
  /** The endpoint task given by the user (the metadata request is skipped when set). */
  task: string | undefined;
  /** Request reshaping function, if any. */
  transformInputFn: TransformInputFn | undefined;
  /** Answer-to-text function, if any. */
  transformOutputFn: TransformOutputFn | undefined;

  /** The shared transport (host, auth, retries). */
  readonly client: DatabricksClient;
  /** Requests in flight at most (LangChain's `maxConcurrency`); unlimited when undefined. */
  readonly maxConcurrency: number | undefined;
  private readonly target: Target;
  private profilePromise: Promise<EndpointProfile> | undefined;

  constructor(fields: DatabricksInput = {}) {
    super(fields);
    this.lc_kwargs = redactSecretKwargs(this.lc_kwargs);
    const target = validateTarget(fields);
    let resolved: ReturnType<typeof createDatabricksClient>;
    try {
      resolved = createDatabricksClient({
        ...fields,
        ...(target.clusterId !== undefined ? { clusterId: target.clusterId } : {}),
      });
    } catch (error) {
      // Python reports a missing endpoint or driver port before a missing host or token: keep
      // that order, so the first error names the real mistake.
      if (
        error instanceof DatabricksConfigError &&
        target.endpointName === undefined &&
        target.port === undefined
      ) {
        throw driverModeError(target.clusterId ?? readEnv("DATABRICKS_CLUSTER_ID"), undefined);
      }
      throw error;
    }
    this.client = resolved.client;
    this.caller = createCaller({ maxConcurrency: fields.maxConcurrency });
    this.maxConcurrency = fields.maxConcurrency;

    if (target.endpointName !== undefined) {
      this.target = {
        kind: "serving",
        endpointName: target.endpointName,
        path: invocationsPath(target.endpointName),
      };
    } else {
      const clusterId = target.clusterId ?? resolved.clusterId;
      if (clusterId === undefined || target.port === undefined) {
        throw driverModeError(clusterId, target.port);
      }
      this.target = {
        kind: "driver",
        clusterId,
        port: target.port,
        path: driverProxyPath(clusterId, target.port),
      };
    }

    this.endpointName = target.endpointName;
    this.clusterId = this.target.kind === "driver" ? this.target.clusterId : undefined;
    this.clusterDriverPort = this.target.kind === "driver" ? this.target.port : undefined;
    this.modelKwargs = mergeKwargs(fields.extraParams, fields.modelKwargs, "modelKwargs");
    this.temperature = fields.temperature;
    this.maxTokens = fields.maxTokens;
    this.n = fields.n;
    this.stop = fields.stop;
    this.task = fields.task;
    this.transformInputFn = fields.transformInputFn;
    this.transformOutputFn = fields.transformOutputFn;
  }

  _llmType(): string {
    return "databricks";
  }

  override invocationParams(options?: this["ParsedCallOptions"]): Record<string, unknown> {
    return {
      endpoint_name: this.endpointName,
      cluster_id: this.clusterId,
      cluster_driver_port: this.clusterDriverPort,
      task: this.task,
      temperature: options?.temperature ?? this.temperature,
      max_tokens: options?.maxTokens ?? this.maxTokens,
      n: this.n,
      stop: llmStop(options?.stop, this.stop),
      model_kwargs: { ...this.modelKwargs, ...options?.modelKwargs },
    };
  }

  override _identifyingParams(): Record<string, unknown> {
    return { host: this.client.host, ...this.invocationParams() };
  }

  /**
   * Serialised form for LangChain's `load`: secrets become `{"type": "secret"}` references, and
   * functions (`transformInputFn`, `transformOutputFn`, `fetch`, `credentials`) become
   * `not_implemented` markers, so loading fails clearly instead of silently dropping them.
   */
  override toJSON(): Serialized {
    return markUnserializableKwargs(super.toJSON(), this.lc_kwargs);
  }

  /** @internal LangChain hook: one prompt → one text. */
  async _call(
    prompt: string,
    options: this["ParsedCallOptions"],
    _runManager?: CallbackManagerForLLMRun,
  ): Promise<string> {
    return (await this.completeLimited(prompt, options)).text;
  }

  /**
   * @internal LangChain hook: every prompt of a `generate()` call, each through the concurrency
   * limiter. Each generation's `generationInfo` carries the endpoint's raw answer (`response`) and
   * the `served-model-name` header (`servedModelName`).
   */
  override async _generate(
    prompts: string[],
    options: this["ParsedCallOptions"],
    _runManager?: CallbackManagerForLLMRun,
  ): Promise<LLMResult> {
    const generations = await Promise.all(
      prompts.map(async (prompt): Promise<Generation[]> => [
        await this.completeLimited(prompt, options),
      ]),
    );
    return { generations };
  }

  /** @internal LangChain hook: token streaming for `llm/v1/*` endpoints, one chunk otherwise. */
  override async *_streamResponseChunks(
    prompt: string,
    options: this["ParsedCallOptions"],
    runManager?: CallbackManagerForLLMRun,
  ): AsyncGenerator<GenerationChunk> {
    yield* withAbortAsDatabricksError(
      this.streamChunks(prompt, options, runManager),
      options.signal,
    );
  }

  private async *streamChunks(
    prompt: string,
    options: this["ParsedCallOptions"],
    runManager?: CallbackManagerForLLMRun,
  ): AsyncGenerator<GenerationChunk> {
    const target = this.target;
    const profile =
      target.kind === "serving"
        ? await this.endpointProfile(target.endpointName, options.signal)
        : undefined;
    if (!profile || !canStream(profile) || this.transformOutputFn) {
      const generation = await this.completeLimited(prompt, options);
      yield new GenerationChunk(generation);
      await runManager?.handleLLMNewToken(generation.text);
      return;
    }
    const request = await this.buildRequest(prompt, options, profile.task);
    const body = { ...wrapRequest(profile, request), stream: true };
    const cutter = new StreamingStopCutter(llmStop(options.stop, this.stop));
    const events = this.client.streamJson(target.path, body, {
      signal: options.signal,
      maxRetries: options.maxRetries,
    });
    for await (const event of limitedStream(
      this.caller,
      this.maxConcurrency,
      options.signal,
      events,
    )) {
      const piece = cutter.push(streamedText(profile, event));
      if (piece !== "") {
        yield new GenerationChunk({ text: piece });
        await runManager?.handleLLMNewToken(piece);
      }
      // A stop sequence was seen: closing the connection spares the rest of the generation.
      if (cutter.done) break;
    }
    const rest = cutter.flush();
    if (rest !== "") {
      yield new GenerationChunk({ text: rest });
      await runManager?.handleLLMNewToken(rest);
    }
  }

  /** {@link complete} through the concurrency limiter, with cancellation as a DatabricksError. */
  private async completeLimited(
    prompt: string,
    options: this["ParsedCallOptions"],
  ): Promise<Generation> {
    try {
      return await callLimited(this.caller, this.maxConcurrency, options.signal, () =>
        this.complete(prompt, options),
      );
    } catch (error) {
      throw asDatabricksError(error, options.signal);
    }
  }

  /** One request → text plus the raw answer. */
  private async complete(prompt: string, options: this["ParsedCallOptions"]): Promise<Generation> {
    const requestOptions = { signal: options.signal, maxRetries: options.maxRetries };
    const stop = llmStop(options.stop, this.stop);
    let text: string;
    let response: { data: unknown; headers: Record<string, string> };
    const target = this.target;
    if (target.kind === "serving") {
      const profile = await this.endpointProfile(target.endpointName, options.signal);
      const request = await this.buildRequest(prompt, options, profile.task);
      response = await this.client.requestJson(
        "POST",
        target.path,
        wrapRequest(profile, request),
        requestOptions,
      );
      const prediction = extractPrediction(profile, response.data);
      text = this.transformOutputFn
        ? await this.transformedText(prediction)
        : textFromPrediction(profile, prediction);
    } else {
      const request = await this.buildRequest(prompt, options, undefined);
      response = await this.client.requestJson("POST", target.path, request, requestOptions);
      text = this.transformOutputFn
        ? await this.transformedText(response.data)
        : requireText(response.data);
    }
    const generationInfo: Record<string, unknown> = { response: response.data };
    const servedModelName = response.headers["served-model-name"];
    if (servedModelName !== undefined) generationInfo["servedModelName"] = servedModelName;
    return { text: cutAtStop(text, stop), generationInfo };
  }

  /**
   * The request body, in the Python class's order: prompt; temperature, n; the instance stop;
   * max_tokens; `modelKwargs`/`extraParams`; this call's `modelKwargs`, temperature and max_tokens;
   * this call's stop; finally `transformInputFn`. Sampling parameters go to `llm/*` endpoints and
   * driver apps (which take extra fields as model kwargs), not to custom models, whose signatures
   * define their columns. Nothing is sent as `null`, and never an empty `stop`.
   */
  private async buildRequest(
    prompt: string,
    options: this["ParsedCallOptions"],
    task: string | undefined,
  ): Promise<DatabricksRequest> {
    const request: DatabricksRequest = { prompt };
    const sampling = isLlmTask(task) || this.target.kind === "driver";
    if (sampling) {
      setIfDefined(request, "temperature", this.temperature);
      setIfDefined(request, "n", this.n);
    }
    if (this.stop && this.stop.length > 0) request["stop"] = this.stop;
    if (sampling) setIfDefined(request, "max_tokens", this.maxTokens);
    assignDefined(request, this.modelKwargs);
    if (options.modelKwargs) {
      assignDefined(
        request,
        mergeKwargs(undefined, options.modelKwargs, "the modelKwargs call option"),
      );
    }
    if (sampling) {
      setIfDefined(request, "temperature", options.temperature);
      setIfDefined(request, "max_tokens", options.maxTokens);
    }
    if (options.stop && options.stop.length > 0) request["stop"] = options.stop;
    if (!this.transformInputFn) return request;
    const transformed = await this.transformInputFn({ ...request });
    if (!isRecord(transformed)) {
      throw new DatabricksResponseError(
        `transformInputFn must return an object (the request body) but returned ${transformed === null ? "null" : typeof transformed}.`,
      );
    }
    return transformed;
  }

  private async transformedText(raw: unknown): Promise<string> {
    const fn = this.transformOutputFn as TransformOutputFn;
    const text = await fn(raw);
    if (typeof text !== "string") {
      throw new DatabricksResponseError(
        `transformOutputFn must return a string but returned ${typeof text}.`,
      );
    }
    return text;
  }

  /** The endpoint's envelope, from `task` or one cached metadata request (retried if it failed). */
  private endpointProfile(
    endpointName: string,
    signal: AbortSignal | undefined,
  ): Promise<EndpointProfile> {
    const explicit = this.task !== undefined ? profileFromTask(this.task) : undefined;
    if (explicit) return Promise.resolve(explicit);
    if (!this.profilePromise) {
      // Shared by every concurrent call, so it runs without any one caller's signal: each caller
      // stops waiting on its own abort, and the others still get the answer.
      const pending = this.client
        .requestJson("GET", endpointMetadataPath(endpointName), undefined)
        .then(({ data }) => profileFromMetadata(data, this.task));
      pending.catch(() => {
        if (this.profilePromise === pending) this.profilePromise = undefined;
      });
      this.profilePromise = pending;
    }
    return waitFor(this.profilePromise, signal, "Reading the endpoint metadata");
  }
}

/**
 * Driver proxy mode without a cluster or a port, with the Python reference's messages: V2 when no
 * cluster is known, else V4.
 */
function driverModeError(
  clusterId: string | undefined,
  port: string | undefined,
): DatabricksConfigError {
  if (clusterId !== undefined) {
    return new DatabricksConfigError(
      "Must set cluster_driver_port to connect to a cluster driver. Set `clusterDriverPort`.",
    );
  }
  const reason =
    port === undefined
      ? "no `endpointName`, `clusterId` or `clusterDriverPort` option was given."
      : "DATABRICKS_CLUSTER_ID is not set and the config profile has no cluster_id. Set `clusterId`.";
  return new DatabricksConfigError(
    `Neither endpoint_name nor cluster_id was set. And the cluster_id cannot be automatically determined. Received error: ${reason}`,
  );
}

/** The Python class's keyword names, which a config ported from Python may still use. */
const PYTHON_OPTION_NAMES: Readonly<Record<string, string>> = {
  endpoint_name: "endpointName",
  cluster_id: "clusterId",
  cluster_driver_port: "clusterDriverPort",
  api_token: "token",
  model_kwargs: "modelKwargs",
  extra_params: "extraParams",
  max_tokens: "maxTokens",
  transform_input_fn: "transformInputFn",
  transform_output_fn: "transformOutputFn",
  databricks_uri: "profile",
  allow_dangerous_deserialization: "(nothing: functions are never deserialized)",
};

/** A Python keyword would be silently ignored and surface as a confusing error later. */
function rejectPythonNames(fields: DatabricksInput): void {
  for (const key of Object.keys(fields)) {
    const camel = PYTHON_OPTION_NAMES[key];
    if (camel !== undefined) {
      throw new DatabricksConfigError(
        `Unknown option \`${key}\` (the Python class's name): use \`${camel}\` instead.`,
      );
    }
  }
}

/** Mode checks that need no environment, with the Python class's messages. */
function validateTarget(fields: DatabricksInput): {
  endpointName: string | undefined;
  clusterId: string | undefined;
  port: string | undefined;
} {
  rejectPythonNames(fields);
  const endpointName = nonEmpty(fields.endpointName);
  const clusterId = nonEmpty(fields.clusterId);
  const rawPort = fields.clusterDriverPort;
  if (endpointName !== undefined && clusterId !== undefined) {
    throw new DatabricksConfigError(
      "Cannot set both endpoint_name and cluster_id. Use `endpointName` for a serving endpoint or `clusterId`/`clusterDriverPort` for a driver proxy app.",
    );
  }
  const hasPort = rawPort !== undefined && rawPort !== "";
  if (endpointName !== undefined && hasPort) {
    throw new DatabricksConfigError(
      "Cannot set both endpoint_name and cluster_driver_port. Use `endpointName` for a serving endpoint or `clusterDriverPort` for a driver proxy app.",
    );
  }
  const port = hasPort ? validatePort(rawPort) : undefined;
  if (fields.modelKwargs) mergeKwargs(undefined, fields.modelKwargs, "modelKwargs");
  if (fields.extraParams) mergeKwargs(undefined, fields.extraParams, "extraParams");
  return { endpointName, clusterId, port };
}

function validatePort(raw: string | number): string {
  const text = String(raw).trim();
  const port = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new DatabricksConfigError(
      `Invalid cluster_driver_port: ${String(raw)}. It must be an integer between 1 and 65535 (the seed recommends 3000-8000).`,
    );
  }
  return String(port);
}

/** `extraParams` then `modelKwargs` (the seed's name wins), refusing the fields the class owns. */
function mergeKwargs(
  extraParams: Record<string, unknown> | undefined,
  modelKwargs: Record<string, unknown> | undefined,
  name: string,
): Record<string, unknown> {
  const merged = { ...extraParams, ...modelKwargs };
  for (const key of ["prompt", "stop"]) {
    if (key in merged) {
      const which = modelKwargs && key in modelKwargs ? name : "extraParams";
      throw new DatabricksConfigError(
        `model_kwargs must not contain key '${key}' (found in ${which}). ${key === "stop" ? "Use the `stop` option." : PROMPT_KWARG_HINT}`,
      );
    }
  }
  return merged;
}

/** The text piece of one SSE event of an OpenAI-style stream. */
function streamedText(profile: EndpointProfile, event: unknown): string {
  const choices = isRecord(event) ? event["choices"] : undefined;
  const first: unknown = Array.isArray(choices) ? choices[0] : undefined;
  if (!isRecord(first)) return "";
  if (profile.task === "llm/v1/chat") {
    const delta = first["delta"];
    const content = isRecord(delta) ? delta["content"] : undefined;
    return typeof content === "string" ? content : "";
  }
  const text = first["text"];
  return typeof text === "string" ? text : "";
}
