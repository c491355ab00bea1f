import type { CallbackManagerForLLMRun } from "@langchain/core/callbacks/manager";
import {
  LLM,
  type BaseLLMCallOptions,
  type BaseLLMParams,
} from "@langchain/core/language_models/llms";
import type { BaseLanguageModelInput } from "@langchain/core/language_models/base";
import type { Serialized } from "@langchain/core/load/serializable";
import { GenerationChunk, type Generation, type LLMResult } from "@langchain/core/outputs";
import type { RunnableBatchOptions } from "@langchain/core/runnables";
import { AsyncCaller } from "@langchain/core/utils/async_caller";
import {
  DatabricksConfigError,
  DatabricksResponseError,
  isDatabricksError,
  type DatabricksError,
} from "./errors.js";
import {
  callExtraParams,
  settleGenerationOptions,
  validateCallOptions,
} from "./generation_options.js";
import {
  checkBatchSize,
  checkModelFields,
  ModelSupport,
  resolveEndpoint,
  stringOption,
} from "./model_support.js";
import { CONNECTION_SECRETS, markUnserializableKwargs } from "./serialization.js";
import type {
  DatabricksGenerationCallOptions,
  DatabricksLanguageModelOptions,
  DatabricksModelFields,
  DatabricksRowPackingOptions,
  DriverAppFormat,
  Settled,
} from "./types.js";
import {
  canStream,
  extractPredictions,
  isLlmTask,
  packsRows,
  profileFromMetadata,
  profileFromTask,
  requireText,
  textFromPrediction,
  wrapRequests,
  type EndpointProfile,
} from "./utils/envelopes.js";
import { abortError, isAbortLike, waitFor } from "./utils/abort.js";
import { wireText } from "./utils/reasoning.js";
import { readEnv } from "./utils/env.js";
import { driverProxyPath, endpointMetadataPath, invocationsPath } from "./utils/paths.js";
import { cutAtStop, llmStop, StreamingStopCutter } from "./utils/stop.js";
import {
  assignDefined,
  chunks,
  describeValue,
  isRecord,
  nonEmpty,
  setIfDefined,
} from "./utils/values.js";

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
  extends
    BaseLLMParams,
    DatabricksLanguageModelOptions,
    DatabricksOwnOptions,
    DatabricksRowPackingOptions {}

/** Where requests go, decided once at construction. */
type Target =
  | { kind: "serving"; endpoint: string; path: string }
  | { kind: "driver"; clusterId: string; port: string; path: string };

/** Body fields the class owns, refused in `extraParams`/`modelKwargs` with Python's message (V6). */
const RESERVED_BODY_KEYS = ["prompt", "stop"] as const;

const DRIVER_APP_FORMATS: readonly DriverAppFormat[] = ["prompt", "dataframe_records"];

/** A driver app that speaks the MLflow scoring envelope is read like a custom model. */
const SCORING_PROFILE: EndpointProfile = { task: undefined, envelope: "dataframe_records" };

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
    Settled<Pick<DatabricksInput, "extraParams" | "modelKwargs">>,
    Settled<DatabricksRowPackingOptions> {
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
    const clusterId = nonEmpty(stringOption(fields.clusterId, "clusterId", "the cluster id"));
    const port = validateMode(endpoint, clusterId, fields.clusterDriverPort);
    const batchSize = checkBatchSize(fields.batchSize, 1);
    const driverAppFormat = validateDriverAppFormat(fields.driverAppFormat, endpoint);
    for (const name of ["transformInputFn", "transformOutputFn"] as const) {
      const fn: unknown = fields[name];
      if (fn !== undefined && typeof fn !== "function") {
        throw new DatabricksConfigError(
          `Invalid ${name}: expected a function, got ${describeValue(fn)}. Pass a function (sync or async), or leave it unset.`,
        );
      }
    }
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
      batchSize,
      driverAppFormat,
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
    const [generation] = await this.complete([prompt], options);
    return (generation as Generation).text;
  }

  /**
   * @internal LangChain hook: every prompt of a `generate()` call, each request through the
   * concurrency limiter; with `batchSize > 1` on an endpoint that takes rows, up to `batchSize`
   * prompts per request. Each generation's `generationInfo` carries the `served-model-name` header
   * (`served_model_name`) and the endpoint's raw answer (`response`), or, for a prompt that shared
   * a request, its own prediction (`prediction`) and row (`row`, counted from 0, of `rows`).
   */
  override async _generate(
    prompts: string[],
    options: this["ParsedCallOptions"],
    _runManager?: CallbackManagerForLLMRun,
  ): Promise<LLMResult> {
    const generations = await this.complete(prompts, options);
    return { generations: generations.map((generation) => [generation]) };
  }

  /**
   * Run the prompts as `invoke` would, in input order. With `batchSize > 1` on an endpoint that
   * takes rows, consecutive prompts sharing their call options go to `generate()` up to
   * `batchSize` at a time, each group one request: LangChain's own `batch` invokes each prompt
   * alone, so nothing would ever be packed. The call's `maxConcurrency` then limits requests (groups)
   * in flight, as it limits prompts in LangChain's `batch`; with `returnExceptions` a failed request
   * fails only its own prompts.
   */
  override async batch(
    inputs: BaseLanguageModelInput[],
    options?: Partial<DatabricksCallOptions> | Partial<DatabricksCallOptions>[],
    batchOptions?: RunnableBatchOptions & { returnExceptions?: false },
  ): Promise<string[]>;
  override async batch(
    inputs: BaseLanguageModelInput[],
    options?: Partial<DatabricksCallOptions> | Partial<DatabricksCallOptions>[],
    batchOptions?: RunnableBatchOptions & { returnExceptions: true },
  ): Promise<(string | Error)[]>;
  override async batch(
    inputs: BaseLanguageModelInput[],
    options?: Partial<DatabricksCallOptions> | Partial<DatabricksCallOptions>[],
    batchOptions?: RunnableBatchOptions,
  ): Promise<(string | Error)[]>;
  override async batch(
    inputs: BaseLanguageModelInput[],
    options?: Partial<DatabricksCallOptions> | Partial<DatabricksCallOptions>[],
    batchOptions?: RunnableBatchOptions,
  ): Promise<(string | Error)[]> {
    // Whether the endpoint takes rows is known from its metadata; if that fails, LangChain's
    // batch reports the failure per prompt as it always has.
    const packSize =
      this.batchSize > 1 && inputs.length > 1
        ? await this.targetProfile(undefined).then(
            (profile) => (packsRows(profile) ? this.batchSize : 1),
            () => 1,
          )
        : 1;
    if (packSize === 1) return super.batch(inputs, options, batchOptions);

    const configs = this._getOptionsList(options ?? {}, inputs.length);
    const groups = packGroups(inputs.length, packSize, (a, b) =>
      Array.isArray(options) ? options[a] === options[b] : true,
    );
    // The same limiter LangChain's batch builds from the call's maxConcurrency; it never retries
    // (the transport is the one retry layer).
    const caller = new AsyncCaller({
      maxConcurrency: configs[0]?.maxConcurrency ?? batchOptions?.maxConcurrency ?? Infinity,
      maxRetries: 0,
      onFailedAttempt: (error: unknown) => {
        throw error;
      },
    });
    const results = await Promise.all(
      groups.map((group) =>
        caller.call(async (): Promise<(string | Error)[]> => {
          const config = configs[group[0] as number];
          const prompts = group.map((i) =>
            Databricks._convertInputToPromptValue(inputs[i] as BaseLanguageModelInput).toString(),
          );
          try {
            const result = await this.generate(prompts, config, config?.callbacks);
            return result.generations.map((generation) => generation[0]?.text ?? "");
          } catch (error) {
            if (!batchOptions?.returnExceptions) throw error;
            return group.map(() => error as Error);
          }
        }),
      ),
    );
    return results.flat();
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
    validateCallOptions(options);
    const profile = await this.targetProfile(options.signal);
    if (!profile || !canStream(profile) || this.transformOutputFn) {
      const [generation] = (await this.complete([prompt], options)) as [Generation];
      yield new GenerationChunk(generation);
      await runManager?.handleLLMNewToken(generation.text);
      return;
    }
    const request = await this.buildRequest(prompt, options, profile.task);
    const body = { ...wrapRequests(profile, [request]), stream: true };
    const cutter = new StreamingStopCutter(llmStop(options.stop, this.stop));
    let servedModelName: string | undefined;
    const events = this.support.streamJson(this.target.path, body, {
      signal: options.signal,
      maxRetries: options.maxRetries,
      maxRequestBytes: profile.maxRequestBytes,
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

  /**
   * The prompts' generations, in order: one request per prompt, or per `batchSize` prompts where
   * the target takes rows. All requests are in flight together, each inside the concurrency limit.
   */
  private async complete(
    prompts: readonly string[],
    options: this["ParsedCallOptions"],
  ): Promise<Generation[]> {
    validateCallOptions(options);
    const profile = await this.targetProfile(options.signal);
    const size = packsRows(profile) ? this.batchSize : 1;
    const done = await Promise.all(
      chunks(prompts, size).map((pack) => this.completePack(pack, options, profile)),
    );
    return done.flat();
  }

  /**
   * One request for `prompts` (several only as rows of the scoring envelope) → one generation per
   * prompt. Each row is the request its prompt alone would send, and each prediction is read (and
   * cut at the stop sequences) as a single prompt's answer would be.
   */
  private async completePack(
    prompts: readonly string[],
    options: this["ParsedCallOptions"],
    profile: EndpointProfile | undefined,
  ): Promise<Generation[]> {
    const requests = await Promise.all(
      prompts.map((prompt) => this.buildRequest(prompt, options, profile?.task)),
    );
    // Without a profile (the notebook app's contract) the request goes as is and answers text.
    const body = profile ? wrapRequests(profile, requests) : requests[0];
    const call = {
      signal: options.signal,
      maxRetries: options.maxRetries,
      maxRequestBytes: profile?.maxRequestBytes,
    };
    const response = await this.support.requestJson("POST", this.target.path, body, call);
    const predictions = profile
      ? extractPredictions(profile, response.data, requests.length)
      : [response.data];
    const stop = llmStop(options.stop, this.stop);
    const servedModelName = response.headers["served-model-name"];
    return Promise.all(
      predictions.map(async (prediction, row): Promise<Generation> => {
        let text: string;
        if (this.transformOutputFn) text = await this.transformedText(prediction, options.signal);
        else text = profile ? textFromPrediction(profile, prediction) : requireText(prediction);
        // A shared answer is not repeated in every generation: each keeps its own prediction.
        const generationInfo: Record<string, unknown> =
          prompts.length === 1
            ? { response: response.data }
            : { prediction, row, rows: prompts.length };
        if (servedModelName !== undefined) generationInfo["served_model_name"] = servedModelName;
        return { text: cutAtStop(text, stop), generationInfo };
      }),
    );
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
    const transformed = await runTransform(
      "transformInputFn",
      this.transformInputFn,
      { ...request },
      DatabricksConfigError,
      options.signal,
    );
    if (!isRecord(transformed)) {
      throw new DatabricksConfigError(
        `transformInputFn must return an object (the request body) but returned ${describeValue(transformed)}. Return the request, e.g. (request) => ({ ...request, extra: 1 }).`,
      );
    }
    return transformed;
  }

  private async transformedText(raw: unknown, signal: AbortSignal | undefined): Promise<string> {
    const fn = this.transformOutputFn as TransformOutputFn;
    const text = await runTransform("transformOutputFn", fn, raw, DatabricksResponseError, signal);
    if (typeof text !== "string") {
      throw new DatabricksResponseError(
        `transformOutputFn must return a string but returned ${describeValue(text)}. Return the text of the answer, e.g. (answer) => String(answer.text).`,
      );
    }
    return text;
  }

  /**
   * How the target takes its body: a serving endpoint's profile; the scoring envelope for a driver
   * app with `driverAppFormat: "dataframe_records"`; none for the notebook app's plain request.
   */
  private targetProfile(signal: AbortSignal | undefined): Promise<EndpointProfile | undefined> {
    const target = this.target;
    if (target.kind === "serving") return this.endpointProfile(target.endpoint, signal);
    const scoring = this.driverAppFormat === "dataframe_records";
    return Promise.resolve(scoring ? SCORING_PROFILE : undefined);
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

/** `driverAppFormat` checked: a known format, and only for a driver proxy app. */
function validateDriverAppFormat(
  format: DriverAppFormat | undefined,
  endpoint: string | undefined,
): DriverAppFormat {
  if (format === undefined) return "prompt";
  if (!DRIVER_APP_FORMATS.includes(format)) {
    throw new DatabricksConfigError(
      `Invalid driverAppFormat: ${JSON.stringify(format)}. Use "prompt" (the notebook app's {"prompt"} body) or "dataframe_records" (an app that takes MLflow scoring rows and answers {"predictions": [...]}).`,
    );
  }
  if (endpoint !== undefined && format !== "prompt") {
    throw new DatabricksConfigError(
      "driverAppFormat applies to driver proxy apps only (clusterDriverPort): remove it. A serving endpoint's body follows its task, and custom models already take dataframe_records.",
    );
  }
  return format;
}

/**
 * Indices 0..count-1 cut into groups of consecutive indices, at most `size` each, a new group
 * starting wherever `same(first of the group, i)` is false (prompts with other call options).
 */
function packGroups(
  count: number,
  size: number,
  same: (a: number, b: number) => boolean,
): number[][] {
  const groups: number[][] = [];
  let group: number[] = [];
  for (let i = 0; i < count; i += 1) {
    const first = group[0];
    if (first !== undefined && (group.length === size || !same(first, i))) {
      groups.push(group);
      group = [];
    }
    group.push(i);
  }
  if (group.length > 0) groups.push(group);
  return groups;
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

/**
 * Call a user transform. Our own errors pass through; anything else it throws is wrapped in
 * `wrap` (config error before sending, response error after) with a message naming the transform
 * and the original error as `cause`, so the failure is not mistaken for the endpoint's.
 *
 * A cancellation is not a bug in the transform: one that shares the call's signal (with its own
 * `fetch`, say) rejects with an `AbortError` when the call is cancelled. That becomes the
 * `DatabricksAbortError` every other cancellation is. An abort or timeout while `signal` has not
 * fired (the transform's own `AbortSignal.timeout`, say) is the transform's failure and is wrapped
 * like any other, so every error the call raises stays a `DatabricksError`.
 */
async function runTransform<I, O>(
  name: "transformInputFn" | "transformOutputFn",
  fn: (input: I) => O | Promise<O>,
  input: I,
  wrap: new (message: string, options?: { cause?: unknown }) => DatabricksError,
  signal: AbortSignal | undefined,
): Promise<O> {
  try {
    return await fn(input);
  } catch (error) {
    if (isDatabricksError(error)) throw error;
    if (isAbortLike(error) && signal?.aborted === true) throw abortError(signal, "Request");
    const reason = error instanceof Error ? error.message : String(error);
    const message = `${name} threw: ${reason}. Fix the function (the original error is the cause).`;
    throw new wrap(message, { cause: error });
  }
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
