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
  callExtraParams,
  settleGenerationOptions,
  validateGenerationOptions,
} from "./generation_options.js";
import { checkModelFields, ModelSupport, resolveEndpoint } from "./model_support.js";
import { CONNECTION_SECRETS, markUnserializableKwargs } from "./serialization.js";
import type {
  DatabricksGenerationCallOptions,
  DatabricksLanguageModelOptions,
  DatabricksModelFields,
  Settled,
} from "./types.js";
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
import { waitFor } from "./utils/abort.js";
import { wireText } from "./utils/reasoning.js";
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
export interface DatabricksCallOptions
  extends BaseLLMCallOptions, DatabricksGenerationCallOptions {}

/** Options of `Databricks` that no other class has. */
export interface DatabricksOwnOptions {
  /**
   * Cluster whose driver runs the app (driver proxy mode). Defaults to `DATABRICKS_CLUSTER_ID` or the
   * config profile's `cluster_id` when `clusterDriverPort` is given.
   */
  clusterId?: string | undefined;
  /** Port of the app on the cluster driver (driver proxy mode), e.g. `"7777"`. */
  clusterDriverPort?: string | number | undefined;
  /**
   * The endpoint's task. When set, the endpoint metadata request is skipped: `llm/v1/completions`
   * and `llm/v1/chat` mean an OpenAI-style body, `llama2/chat` and `custom` the custom-model
   * envelope.
   */
  task?: string | undefined;
  /** Reshapes the request (`{prompt, stop?, ...}`) before it is sent. May be async. */
  transformInputFn?: TransformInputFn | undefined;
  /** Turns the raw answer into text. May be async. */
  transformOutputFn?: TransformOutputFn | undefined;
}

/** Constructor options of {@link Databricks}. */
export interface DatabricksInput
  extends BaseLLMParams, DatabricksLanguageModelOptions, DatabricksOwnOptions {}

/** Where requests go, decided once at construction. */
type Target =
  | { kind: "serving"; endpoint: string; path: string }
  | { kind: "driver"; clusterId: string; port: string; path: string };

/** Body fields the class owns, refused in `extraParams`/`modelKwargs` with Python's message (V6). */
const RESERVED_BODY_KEYS = ["prompt", "stop"] as const;

function reservedKeyError(key: string, option: string): DatabricksConfigError {
  const hint =
    key === "stop"
      ? "Use the `stop` option."
      : "Use `transformInputFn` to shape the prompt instead.";
  return new DatabricksConfigError(
    `model_kwargs must not contain key '${key}' (found in ${option}). ${hint}`,
  );
}

/**
 * The settings of a `Databricks` instance, read-only: what it was built with and uses on every
 * call (declared once, in the option types). `extraParams` and `modelKwargs` both hold the merged
 * extra fields; `clusterId`/`clusterDriverPort` are set in driver proxy mode only, `endpoint` in
 * serving mode only.
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- fields typed once, in the option interfaces
export interface Databricks
  extends
    DatabricksModelFields<string | undefined>,
    Readonly<
      Pick<
        DatabricksInput,
        | "temperature"
        | "maxTokens"
        | "n"
        | "stop"
        | "task"
        | "transformInputFn"
        | "transformOutputFn"
        | "clusterId"
      >
    >,
    Settled<Pick<DatabricksInput, "extraParams" | "modelKwargs">> {
  /** The driver app port, as a string (driver proxy mode), else undefined. */
  readonly clusterDriverPort: string | undefined;
}

/**
 * LangChain LLM for Databricks Model Serving endpoints and cluster driver proxy apps, the TypeScript
 * counterpart of Python's `langchain_community.llms.Databricks`.
 *
 * Serving mode (`endpoint`, alias `endpointName`) posts to `/serving-endpoints/{name}/invocations`,
 * choosing the body envelope from the endpoint's task (read once, lazily). Driver proxy mode
 * (`clusterDriverPort`, optionally `clusterId`) posts the same body to
 * `/driver-proxy-api/o/0/{clusterId}/{port}`.
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging -- see the interface above
export class Databricks extends LLM<DatabricksCallOptions> {
  static override lc_name(): string {
    return "Databricks";
  }

  override get lc_secrets(): Record<string, string> {
    return { ...CONNECTION_SECRETS };
  }

  private readonly support: ModelSupport;
  private readonly target: Target;
  private profilePromise: Promise<EndpointProfile> | undefined;

  constructor(fields: DatabricksInput = {}) {
    super(checkModelFields(fields, "Databricks"));
    const endpoint = resolveEndpoint(fields, "Databricks");
    const clusterId = nonEmpty(fields.clusterId);
    const port = validateMode(endpoint, clusterId, fields.clusterDriverPort);
    const generation = settleGenerationOptions(
      fields,
      "the Databricks options",
      RESERVED_BODY_KEYS,
      reservedKeyError,
    );
    try {
      this.support = new ModelSupport({ ...fields, clusterId });
    } catch (error) {
      // Python reports a missing endpoint or driver port before a missing host or token: keep
      // that order, so the first error names the real mistake.
      if (error instanceof DatabricksConfigError && endpoint === undefined && port === undefined) {
        throw driverModeError(clusterId ?? readEnv("DATABRICKS_CLUSTER_ID"), undefined);
      }
      throw error;
    }

    if (endpoint !== undefined) {
      this.target = { kind: "serving", endpoint, path: invocationsPath(endpoint) };
    } else {
      const resolvedCluster = clusterId ?? this.support.clusterId;
      if (resolvedCluster === undefined || port === undefined) {
        throw driverModeError(resolvedCluster, port);
      }
      this.target = {
        kind: "driver",
        clusterId: resolvedCluster,
        port,
        path: driverProxyPath(resolvedCluster, port),
      };
    }
    const driver = this.target.kind === "driver" ? this.target : undefined;
    this.support.attach(this, endpoint, {
      ...generation,
      clusterId: driver?.clusterId,
      clusterDriverPort: driver?.port,
      task: fields.task,
      transformInputFn: fields.transformInputFn,
      transformOutputFn: fields.transformOutputFn,
    });
  }

  _llmType(): string {
    return "databricks";
  }

  /**
   * The request fields besides `prompt`, in the Python class's order, and the only place options
   * become wire names: temperature, n; the instance stop; max_tokens; `extraParams`; this call's
   * `extraParams`, temperature and max_tokens; this call's stop. Sampling fields go to `llm/*`
   * endpoints and driver apps (which take extra fields as model kwargs), not to custom models,
   * whose signatures define their columns (`sampling: false`). Nothing is `null`, no `stop` empty.
   */
  override invocationParams(
    options?: Partial<this["ParsedCallOptions"]>,
    sampling = true,
  ): Record<string, unknown> {
    const params: Record<string, unknown> = {};
    if (sampling) {
      setIfDefined(params, "temperature", this.temperature);
      setIfDefined(params, "n", this.n);
    }
    if (this.stop && this.stop.length > 0) params["stop"] = this.stop;
    if (sampling) setIfDefined(params, "max_tokens", this.maxTokens);
    assignDefined(params, this.extraParams);
    assignDefined(params, callExtraParams(options ?? {}, RESERVED_BODY_KEYS, reservedKeyError));
    if (sampling) {
      setIfDefined(params, "temperature", options?.temperature);
      setIfDefined(params, "max_tokens", options?.maxTokens);
    }
    if (options?.stop && options.stop.length > 0) params["stop"] = options.stop;
    return params;
  }

  override _identifyingParams(): Record<string, unknown> {
    return {
      host: this.client.host,
      endpoint: this.endpoint,
      cluster_id: this.clusterId,
      cluster_driver_port: this.clusterDriverPort,
      task: this.task,
      ...this.invocationParams(),
    };
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
    return (await this.complete(prompt, options)).text;
  }

  /**
   * @internal LangChain hook: every prompt of a `generate()` call, each request through the
   * concurrency limiter. Each generation's `generationInfo` carries the endpoint's raw answer
   * (`response`) and the `served-model-name` header (`served_model_name`).
   */
  override async _generate(
    prompts: string[],
    options: this["ParsedCallOptions"],
    _runManager?: CallbackManagerForLLMRun,
  ): Promise<LLMResult> {
    const generations = await Promise.all(
      prompts.map(async (prompt): Promise<Generation[]> => [await this.complete(prompt, options)]),
    );
    return { generations };
  }

  /** @internal LangChain hook: token streaming for `llm/v1/*` endpoints, one chunk otherwise. */
  override async *_streamResponseChunks(
    prompt: string,
    options: this["ParsedCallOptions"],
    runManager?: CallbackManagerForLLMRun,
  ): AsyncGenerator<GenerationChunk> {
    yield* this.support.cancellable(this.streamChunks(prompt, options, runManager), options.signal);
  }

  private async *streamChunks(
    prompt: string,
    options: this["ParsedCallOptions"],
    runManager?: CallbackManagerForLLMRun,
  ): AsyncGenerator<GenerationChunk> {
    validateGenerationOptions(options, "the call options");
    const target = this.target;
    const profile =
      target.kind === "serving"
        ? await this.endpointProfile(target.endpoint, options.signal)
        : undefined;
    if (!profile || !canStream(profile) || this.transformOutputFn) {
      const generation = await this.complete(prompt, options);
      yield new GenerationChunk(generation);
      await runManager?.handleLLMNewToken(generation.text);
      return;
    }
    const request = await this.buildRequest(prompt, options, profile.task);
    const body = { ...wrapRequest(profile, request), stream: true };
    const cutter = new StreamingStopCutter(llmStop(options.stop, this.stop));
    let servedModelName: string | undefined;
    const events = this.support.streamJson(target.path, body, {
      signal: options.signal,
      maxRetries: options.maxRetries,
      onResponseHeaders: (headers) => {
        servedModelName = headers["served-model-name"];
      },
    });
    let first = true;
    const emit = async function* (text: string): AsyncGenerator<GenerationChunk> {
      if (text === "") return;
      // The first chunk carries the served model name, as `invoke`'s generationInfo does.
      const generationInfo =
        first && servedModelName !== undefined ? { served_model_name: servedModelName } : undefined;
      first = false;
      yield new GenerationChunk(generationInfo ? { text, generationInfo } : { text });
      await runManager?.handleLLMNewToken(text);
    };
    for await (const event of events) {
      yield* emit(cutter.push(streamedText(profile, event)));
      // A stop sequence was seen: closing the connection spares the rest of the generation.
      if (cutter.done) break;
    }
    yield* emit(cutter.flush());
  }

  /** One request → text plus the raw answer, the request inside the concurrency limit. */
  private async complete(prompt: string, options: this["ParsedCallOptions"]): Promise<Generation> {
    validateGenerationOptions(options, "the call options");
    const call = { signal: options.signal, maxRetries: options.maxRetries };
    const stop = llmStop(options.stop, this.stop);
    let text: string;
    let response: { data: unknown; headers: Record<string, string> };
    const target = this.target;
    if (target.kind === "serving") {
      const profile = await this.endpointProfile(target.endpoint, options.signal);
      const request = await this.buildRequest(prompt, options, profile.task);
      response = await this.support.requestJson(
        "POST",
        target.path,
        wrapRequest(profile, request),
        call,
      );
      const prediction = extractPrediction(profile, response.data);
      text = this.transformOutputFn
        ? await this.transformedText(prediction)
        : textFromPrediction(profile, prediction);
    } else {
      const request = await this.buildRequest(prompt, options, undefined);
      response = await this.support.requestJson("POST", target.path, request, call);
      text = this.transformOutputFn
        ? await this.transformedText(response.data)
        : requireText(response.data);
    }
    const generationInfo: Record<string, unknown> = { response: response.data };
    const servedModelName = response.headers["served-model-name"];
    if (servedModelName !== undefined) generationInfo["served_model_name"] = servedModelName;
    return { text: cutAtStop(text, stop), generationInfo };
  }

  /** `{prompt, ...invocationParams}`, then `transformInputFn`. */
  private async buildRequest(
    prompt: string,
    options: this["ParsedCallOptions"],
    task: string | undefined,
  ): Promise<DatabricksRequest> {
    const sampling = isLlmTask(task) || this.target.kind === "driver";
    const request: DatabricksRequest = { prompt, ...this.invocationParams(options, sampling) };
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
    endpoint: string,
    signal: AbortSignal | undefined,
  ): Promise<EndpointProfile> {
    const explicit = this.task !== undefined ? profileFromTask(this.task) : undefined;
    if (explicit) return Promise.resolve(explicit);
    if (!this.profilePromise) {
      // Shared by every concurrent call, so it runs without any one caller's signal: each caller
      // stops waiting on its own abort, and the others still get the answer.
      const pending = this.client
        .requestJson("GET", endpointMetadataPath(endpoint), undefined)
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
 * Mode checks that need no environment, with the Python class's messages (V1, V3, V5); returns
 * the validated driver port, if any.
 */
function validateMode(
  endpoint: string | undefined,
  clusterId: string | undefined,
  rawPort: string | number | undefined,
): string | undefined {
  if (endpoint !== undefined && clusterId !== undefined) {
    throw new DatabricksConfigError(
      "Cannot set both endpoint_name and cluster_id. Use `endpoint` for a serving endpoint or `clusterId`/`clusterDriverPort` for a driver proxy app.",
    );
  }
  const hasPort = rawPort !== undefined && rawPort !== "";
  if (endpoint !== undefined && hasPort) {
    throw new DatabricksConfigError(
      "Cannot set both endpoint_name and cluster_driver_port. Use `endpoint` for a serving endpoint or `clusterDriverPort` for a driver proxy app.",
    );
  }
  return hasPort ? validatePort(rawPort) : undefined;
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
      ? "no `endpoint`, `clusterId` or `clusterDriverPort` option was given."
      : "DATABRICKS_CLUSTER_ID is not set and the config profile has no cluster_id. Set `clusterId`.";
  return new DatabricksConfigError(
    `Neither endpoint_name nor cluster_id was set. And the cluster_id cannot be automatically determined. Received error: ${reason}`,
  );
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

/** The text piece of one SSE event of an OpenAI-style stream. */
function streamedText(profile: EndpointProfile, event: unknown): string {
  const choices = isRecord(event) ? event["choices"] : undefined;
  const first: unknown = Array.isArray(choices) ? choices[0] : undefined;
  if (!isRecord(first)) return "";
  if (profile.task === "llm/v1/chat") {
    const delta = first["delta"];
    // A reasoning model streams lists of parts: only their text parts are the answer.
    return wireText(isRecord(delta) ? delta["content"] : undefined);
  }
  const text = first["text"];
  return typeof text === "string" ? text : "";
}
